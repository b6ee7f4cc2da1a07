//! The JetStream API errors natrium answers, with the Go server's `code`, `err_code` and
//! description (server/errors.json): clients branch on `err_code`, so these numbers are data,
//! not ours to choose. Checked against nats-server 2.15.1's answers.

use serde::Serialize;

/// One API error as it goes on the wire: `{"code":404,"err_code":10059,"description":...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiError {
    pub code: u16,
    /// Absent only for the errors natrium adds for APIs it does not serve yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub err_code: Option<u16>,
    pub description: String,
}

impl ApiError {
    fn go(code: u16, err_code: u16, description: impl Into<String>) -> Self {
        Self {
            code,
            err_code: Some(err_code),
            description: description.into(),
        }
    }

    /// JSConsumerCreateErrF (10012): `{err}`.
    pub fn consumer_create(detail: impl Into<String>) -> Self {
        Self::go(500, 10012, detail)
    }

    /// JSBadRequestErr (10003).
    pub fn bad_request() -> Self {
        Self::go(400, 10003, "bad request")
    }

    /// JSConsumerDurableNameNotInSubjectErr (10016).
    pub fn consumer_durable_not_in_subject() -> Self {
        Self::go(
            400,
            10016,
            "consumer expected to be durable but no durable name set in subject",
        )
    }

    /// JSConsumerDurableNameNotMatchSubjectErr (10017).
    pub fn consumer_durable_mismatch() -> Self {
        Self::go(
            400,
            10017,
            "consumer name in subject does not match durable name in request",
        )
    }

    /// JSConsumerDurableNameNotSetErr (10018).
    pub fn consumer_durable_not_set() -> Self {
        Self::go(
            400,
            10018,
            "consumer expected to be durable but a durable name was not set",
        )
    }

    /// JSConsumerEphemeralWithDurableNameErr (10020).
    pub fn consumer_ephemeral_with_durable() -> Self {
        Self::go(
            400,
            10020,
            "consumer expected to be ephemeral but a durable name was set in request",
        )
    }

    /// JSSequenceNotFoundErrF (10043).
    pub fn sequence_not_found(seq: u64) -> Self {
        Self::go(400, 10043, format!("sequence {seq} not found"))
    }

    /// JSConsumerSmallHeartbeatErr (10083).
    pub fn consumer_small_heartbeat() -> Self {
        Self::go(400, 10083, "consumer idle heartbeat needs to be >= 100ms")
    }

    /// JSConsumerAckWaitNegativeErr (10183).
    pub fn consumer_ack_wait_negative() -> Self {
        Self::go(400, 10183, "consumer ack wait needs to be positive")
    }

    /// JSConsumerBackOffNegativeErr (10184).
    pub fn consumer_backoff_negative() -> Self {
        Self::go(400, 10184, "consumer backoff needs to be positive")
    }

    /// JSConsumerDeliverToWildcardsErr (10079).
    pub fn consumer_deliver_to_wildcards() -> Self {
        Self::go(400, 10079, "consumer deliver subject has wildcards")
    }

    /// JSConsumerPullRequiresAckErr (10084): a pull consumer without acks on a work queue.
    pub fn consumer_pull_requires_ack() -> Self {
        Self::go(
            400,
            10084,
            "consumer in pull mode requires explicit ack policy on workqueue stream",
        )
    }

    /// JSConsumerInvalidPolicyErrF (10094): `{err}`.
    pub fn consumer_invalid_policy(detail: impl Into<String>) -> Self {
        Self::go(400, 10094, detail)
    }

    /// JSConsumerNameTooLongErrF (10102).
    pub fn consumer_name_too_long(max: usize) -> Self {
        Self::go(
            400,
            10102,
            format!("consumer name is too long, maximum allowed is {max}"),
        )
    }

    /// JSConsumerCreateFilterSubjectMismatchErr (10131).
    pub fn consumer_filter_in_subject_mismatch() -> Self {
        Self::go(
            400,
            10131,
            "Consumer create request did not match filtered subject from create subject",
        )
    }

    /// JSConsumerMultipleFiltersNotAllowed (10137).
    pub fn consumer_multiple_filters_not_allowed() -> Self {
        Self::go(
            400,
            10137,
            "consumer with multiple subject filters cannot use subject based API",
        )
    }

    /// JSConsumerNotFoundErr (10014).
    pub fn consumer_not_found() -> Self {
        Self::go(404, 10014, "consumer not found")
    }

    /// JSConsumerAlreadyExists (10148): action `create` for an existing consumer with a
    /// different configuration.
    pub fn consumer_already_exists() -> Self {
        Self::go(400, 10148, "consumer already exists")
    }

    /// JSConsumerDoesNotExist (10149): action `update` for a missing consumer.
    pub fn consumer_does_not_exist() -> Self {
        Self::go(400, 10149, "consumer does not exist")
    }

    /// JSConsumerDuplicateFilterSubjects (10136).
    pub fn consumer_duplicate_filter_subjects() -> Self {
        Self::go(
            400,
            10136,
            "consumer cannot have both FilterSubject and FilterSubjects specified",
        )
    }

    /// JSConsumerEmptyFilter (10139).
    pub fn consumer_empty_filter() -> Self {
        Self::go(
            400,
            10139,
            "consumer filter in FilterSubjects cannot be empty",
        )
    }

    /// JSConsumerOverlappingSubjectFilters (10138).
    pub fn consumer_overlapping_filters() -> Self {
        Self::go(400, 10138, "consumer subject filters cannot overlap")
    }

    /// JSConsumerHBRequiresPushErr (10088).
    pub fn consumer_heartbeat_requires_push() -> Self {
        Self::go(
            400,
            10088,
            "consumer idle heartbeat requires a push based consumer",
        )
    }

    /// JSConsumerFCRequiresPushErr (10089).
    pub fn consumer_flow_control_requires_push() -> Self {
        Self::go(
            400,
            10089,
            "consumer flow control requires a push based consumer",
        )
    }

    /// JSConsumerWithFlowControlNeedsHeartbeats (10108).
    pub fn consumer_flow_control_needs_heartbeat() -> Self {
        Self::go(
            400,
            10108,
            "consumer with flow control also needs heartbeats",
        )
    }

    /// JSConsumerPushMaxWaitingErr (10080).
    pub fn consumer_push_max_waiting() -> Self {
        Self::go(400, 10080, "consumer in push mode can not set max waiting")
    }

    /// JSConsumerInvalidDeliverSubject (10112).
    pub fn consumer_invalid_deliver_subject() -> Self {
        Self::go(400, 10112, "invalid push consumer deliver subject")
    }

    /// JSMessageTTLDisabledErr (10166): `Nats-TTL` on a stream without `allow_msg_ttl`.
    pub fn message_ttl_disabled() -> Self {
        Self::go(400, 10166, "per-message TTL is disabled")
    }

    /// JSMessageTTLInvalidErr (10165).
    pub fn message_ttl_invalid() -> Self {
        Self::go(400, 10165, "invalid per-message TTL")
    }

    /// JSStreamWrongLastMsgIDErr (10070).
    pub fn wrong_last_msg_id(last: &str) -> Self {
        Self::go(400, 10070, format!("wrong last msg ID: {last}"))
    }

    /// JSConsumerWQRequiresExplicitAckErr (10098).
    pub fn workqueue_requires_explicit_ack() -> Self {
        Self::go(400, 10098, "workqueue stream requires explicit ack")
    }

    /// JSConsumerWQMultipleUnfilteredErr (10099).
    pub fn workqueue_multiple_unfiltered() -> Self {
        Self::go(
            400,
            10099,
            "multiple non-filtered consumers not allowed on workqueue stream",
        )
    }

    /// JSConsumerWQConsumerNotUniqueErr (10100).
    pub fn workqueue_consumer_not_unique() -> Self {
        Self::go(
            400,
            10100,
            "filtered consumer not unique on workqueue stream",
        )
    }

    /// JSConsumerWQConsumerNotDeliverAllErr (10101).
    pub fn workqueue_requires_deliver_all() -> Self {
        Self::go(
            400,
            10101,
            "consumer must be deliver all on workqueue stream",
        )
    }

    /// JSConsumerMaxDeliverBackoffErr (10116).
    pub fn consumer_max_deliver_backoff() -> Self {
        Self::go(
            400,
            10116,
            "max deliver is required to be > length of backoff values",
        )
    }

    /// JSMaximumConsumersLimitErr (10026).
    pub fn maximum_consumers() -> Self {
        Self::go(400, 10026, "maximum consumers limit reached")
    }

    /// JSInvalidJSONErr (10025).
    pub fn invalid_json(detail: &str) -> Self {
        Self::go(400, 10025, format!("invalid JSON: {detail}"))
    }

    /// JSNoMessageFoundErr (10037).
    pub fn no_message_found() -> Self {
        Self::go(404, 10037, "no message found")
    }

    /// JSStreamInvalidConfigF (10052): `{err}`, with Go's code 500.
    pub fn invalid_config(detail: impl Into<String>) -> Self {
        Self::go(500, 10052, detail)
    }

    /// JSStreamMessageExceedsMaximumErr (10054).
    pub fn message_exceeds_maximum() -> Self {
        Self::go(400, 10054, "message size exceeds maximum allowed")
    }

    /// JSStreamMismatchErr (10056).
    pub fn name_mismatch() -> Self {
        Self::go(400, 10056, "stream name in subject does not match request")
    }

    /// JSStreamNameExistErr (10058).
    pub fn name_in_use() -> Self {
        Self::go(
            400,
            10058,
            "stream name already in use with a different configuration",
        )
    }

    /// JSStreamNotFoundErr (10059).
    pub fn stream_not_found() -> Self {
        Self::go(404, 10059, "stream not found")
    }

    /// JSMemoryResourcesExceededErr (10028).
    pub fn memory_resources_exceeded() -> Self {
        Self::go(500, 10028, "insufficient memory resources available")
    }

    /// JSStorageResourcesExceededErr (10047).
    pub fn storage_resources_exceeded() -> Self {
        Self::go(500, 10047, "insufficient storage resources available")
    }

    /// JSStreamMsgDeleteFailedF (10057): `{err}`.
    pub fn msg_delete_failed(detail: impl Into<String>) -> Self {
        Self::go(500, 10057, detail)
    }

    /// JSStreamTransformInvalidSource (10155).
    pub fn transform_invalid_source(detail: impl std::fmt::Display) -> Self {
        Self::go(400, 10155, format!("stream transform source: {detail}"))
    }

    /// JSStreamTransformInvalidDestination (10156).
    pub fn transform_invalid_destination(detail: impl std::fmt::Display) -> Self {
        Self::go(400, 10156, format!("stream transform: {detail}"))
    }

    /// One of Go's 400 errors with a fixed description (the mirror refusals).
    pub fn go_400(err_code: u16, description: &str) -> Self {
        Self::go(400, err_code, description)
    }

    /// JSStreamSealedErr (10109): a publish, delete or purge on a sealed stream.
    pub fn stream_sealed() -> Self {
        Self::go(400, 10109, "invalid operation on sealed stream")
    }

    /// JSStreamNotMatchErr (10060).
    pub fn expected_stream_mismatch() -> Self {
        Self::go(400, 10060, "expected stream does not match")
    }

    /// JSStreamWrongLastSequenceErrF (10071): the sequence the request should have named.
    pub fn wrong_last_sequence(seq: u64) -> Self {
        Self::go(400, 10071, format!("wrong last sequence: {seq}"))
    }

    /// JSStreamPurgeFailedF (10110): `{err}`.
    pub fn purge_failed(detail: impl Into<String>) -> Self {
        Self::go(500, 10110, detail)
    }

    /// JSStreamRollupFailedF (10111): `{err}`.
    pub fn rollup_failed(detail: impl Into<String>) -> Self {
        Self::go(500, 10111, detail)
    }

    /// JSStreamSubjectOverlapErr (10065).
    pub fn subjects_overlap() -> Self {
        Self::go(400, 10065, "subjects overlap with an existing stream")
    }

    /// JSStreamReplicasNotSupportedErr (10074).
    pub fn replicas_not_supported() -> Self {
        Self::go(
            500,
            10074,
            "replicas > 1 not supported in non-clustered mode",
        )
    }

    /// JSStreamStoreFailedF (10077): `{err}`, code 503 (limits such as "maximum messages
    /// exceeded" under discard-new, and store failures).
    pub fn store_failed(detail: impl Into<String>) -> Self {
        Self::go(503, 10077, detail)
    }

    /// JSStreamNameContainsPathSeparatorsErr and friends are one description in Go's
    /// `JSStreamInvalidConfigF`; a bad name gets 10052 with the reason.
    pub fn bad_name(reason: &str) -> Self {
        Self::invalid_config(format!("invalid stream name: {reason}"))
    }

    /// An API natrium does not serve yet: a clear answer instead of a timeout. No err_code:
    /// Go has none for it, and inventing one would mislead clients that branch on it.
    pub fn not_implemented(api: &str) -> Self {
        Self {
            code: 501,
            err_code: None,
            description: format!("{api} is not implemented by natrium yet"),
        }
    }
}
