//! Monitoring: a client that disconnects moves from `/connz` to `/connz?state=closed` with
//! its stop time, the Go server's reason text ("Client Closed"), its final counters, its user
//! on `auth=1` and its subscriptions (with the account, as Go shows them) on `subs=detail`;
//! `state=any` lists open and closed connections together.

mod monitor_support;

use monitor_support::{cid_of, column, wait_closed};
use natrium_tests::{ServerProcess, http_json};

#[tokio::test]
async fn closed_connection_listed_with_reason() {
    let server = ServerProcess::start(&["-m", "-1", "--user", "alice", "--pass", "pw"]);
    let monitor = server.monitor_port.expect("monitor port");
    let credentials =
        || async_nats::ConnectOptions::with_user_and_password("alice".into(), "pw".into());
    let leaving = credentials()
        .name("leaving")
        .connect(server.url())
        .await
        .expect("connect leaving");
    let staying = credentials()
        .name("staying")
        .connect(server.url())
        .await
        .expect("connect staying");
    let mut subscription = leaving.subscribe("closed.a").await.expect("subscribe");
    let queued = leaving
        .queue_subscribe("closed.b", "workers".into())
        .await
        .expect("queue subscribe");
    natrium_tests::barrier(&leaving).await;
    staying
        .publish("closed.a", "hello".into())
        .await
        .expect("publish");
    futures::StreamExt::next(&mut subscription)
        .await
        .expect("delivery");
    let cid = cid_of(monitor, "leaving");
    assert!(
        http_json(monitor, "/connz?state=closed")["connections"]
            .as_array()
            .expect("connections")
            .is_empty()
    );

    // Dropping the client closes its socket; its subscriptions stay in the closed record.
    drop(subscription);
    drop(queued);
    drop(leaving);
    let closed = wait_closed(monitor, cid, "&auth=1&subs=detail").await;
    assert_eq!(closed["cid"], cid);
    assert_eq!(closed["name"], "leaving");
    assert_eq!(closed["reason"], "Client Closed");
    assert_ne!(closed["rtt"], "0s", "estimated at CONNECT: {closed}");
    assert_eq!(closed["authorized_user"], "alice");
    let stop = closed["stop"].as_str().expect("stop time");
    let start = closed["start"].as_str().expect("start time");
    assert!(stop.ends_with('Z') && stop >= start, "{closed}");
    assert_eq!(
        closed["out_msgs"], 2,
        "one message, one no-responders status: {closed}"
    );
    assert_eq!(closed["out_bytes"], 5 + 16, "{closed}");
    assert_eq!(
        closed["subscriptions"], 3,
        "two plus the request inbox: {closed}"
    );
    let mut details: Vec<_> = closed["subscriptions_list_detail"]
        .as_array()
        .expect("subscription details")
        .iter()
        .filter(|detail| !detail["subject"].as_str().is_some_and(is_inbox))
        .cloned()
        .collect();
    details.sort_by_key(|detail| detail["subject"].as_str().unwrap_or("").to_owned());
    assert_eq!(details.len(), 2, "{closed}");
    assert_eq!(details[0]["account"], "$G");
    assert_eq!(details[0]["subject"], "closed.a");
    assert_eq!(details[0]["msgs"], 1);
    assert_eq!(details[0]["cid"], cid);
    assert_eq!(details[1]["subject"], "closed.b");
    assert_eq!(details[1]["qgroup"], "workers");
    assert_eq!(details[1]["msgs"], 0);

    let open = column(monitor, "/connz", "name");
    assert_eq!(open, ["staying"], "the closed one left the open list");
    let any = http_json(monitor, "/connz?state=any");
    assert_eq!(any["total"], 2);
    let names = column(monitor, "/connz?state=all", "name");
    assert_eq!(names, ["leaving", "staying"], "sorted by cid");
    assert!(
        http_json(monitor, &format!("/connz?state=closed&cid={cid}"))["connections"][0]
            .get("authorized_user")
            .is_none(),
        "user names only with auth=1"
    );
    drop(staying);
}

fn is_inbox(subject: &str) -> bool {
    subject.starts_with("_INBOX.")
}
