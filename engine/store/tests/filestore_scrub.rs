//! On-demand scrub: an open that trusts the checkpoint checks sealed blocks by length only, so
//! a bit flip in a sealed block opens fine; `scrub` reads every sealed block back and reports
//! the damaged range (block and offsets) without changing a byte. A clean store scrubs clean,
//! encrypted streams included (every record authenticated).
use std::path::{Path, PathBuf};
use std::sync::Arc;

use natrium_format::CipherKind;
use natrium_store::filestore::{FileStore, FileStoreOptions};
use natrium_store::io::MemStorage;
use natrium_store::{NewMsg, StoreConfig, StreamStore};

fn open(mem: &MemStorage, cipher: CipherKind) -> FileStore {
    let options = FileStoreOptions {
        block_bytes_max: 620,
        cipher,
        key: (cipher != CipherKind::None).then(|| b"scrub test key".to_vec()),
        ..FileStoreOptions::default()
    };
    FileStore::open(
        Arc::new(mem.clone()),
        Path::new("/s"),
        options,
        StoreConfig::default(),
    )
    .unwrap()
}

fn blocks(mem: &MemStorage) -> Vec<PathBuf> {
    let mut blocks: Vec<PathBuf> = mem
        .file_paths()
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "blk"))
        .collect();
    blocks.sort();
    blocks
}

#[test]
fn scrub_finds_a_bit_flip_in_a_sealed_block_the_open_did_not_read() {
    for cipher in [CipherKind::None, CipherKind::Aes256Gcm] {
        let mem = MemStorage::new();
        let mut store = open(&mem, cipher);
        for ts in 1..=24u64 {
            store.store(&NewMsg::new("a", &[ts as u8; 30]), ts).unwrap();
        }
        let clean = store.scrub().unwrap();
        assert!(clean.is_clean(), "{cipher:?}: {clean:?}");
        assert!(clean.blocks >= 2, "{cipher:?}: {clean:?}");
        store.close().unwrap();
        drop(store);

        let sealed = &blocks(&mem)[1];
        let mut bytes = mem.file_content(sealed).unwrap();
        let flip_at = bytes.len() / 2;
        bytes[flip_at] ^= 0x10;
        mem.set_file_content(sealed, bytes.clone()).unwrap();

        let mut store = open(&mem, cipher);
        assert!(store.opened_from_checkpoint(), "{cipher:?}");
        let report = store.scrub().unwrap();
        assert!(!report.is_clean(), "{cipher:?}");
        assert_eq!(report.damaged.len(), 1, "{cipher:?}: {report:?}");
        let damage = &report.damaged[0];
        assert_eq!(damage.block, 2, "{cipher:?}");
        assert!(
            (damage.start..damage.end).contains(&(flip_at as u64)),
            "{cipher:?}: {damage:?} covers {flip_at}"
        );
        assert_eq!(
            mem.file_content(sealed).unwrap(),
            bytes,
            "{cipher:?}: scrub changes nothing"
        );
        // Reading the damaged record fails; every other record still loads.
        let failing: Vec<u64> = (1..=24u64)
            .filter(|&seq| store.load(seq).is_err())
            .collect();
        assert_eq!(failing.len(), 1, "{cipher:?}: {failing:?}");
        store.close().unwrap();
    }
}
