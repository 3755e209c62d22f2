//! `global/broadcast.gql`.

use crate::scalars::{DateTime, DomainName, JidScalar, NonNegInt, PosInt};
use juniper::{GraphQLEnum, GraphQLObject};

/// Represents a broadcast job for sending messages to users in bulk.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "Broadcast")]
pub struct Broadcast {
    /// Unique identifier of the broadcast job
    pub id: i32,
    /// Human-readable name of the broadcast
    pub name: String,
    /// Domain to which the broadcast job is assigned
    pub domain: DomainName,
    /// Message subject to be included in <subject> element
    #[graphql(name = "messageSubject")]
    pub message_subject: String,
    /// Message body to be included in <body> element
    #[graphql(name = "messageBody")]
    pub message_body: String,
    /// Bare JID provided in 'from' attribute of the message
    #[graphql(name = "senderJid")]
    pub sender_jid: JidScalar,
    /// Number of messages routed per second
    #[graphql(name = "messageRate")]
    pub message_rate: PosInt,
    /// Erlang node name that owns the broadcast job
    #[graphql(name = "ownerNode")]
    pub owner_node: String,
    /// Timestamp when the job was created
    #[graphql(name = "createTimestamp")]
    pub create_timestamp: DateTime,
    /// Timestamp when the job was started
    #[graphql(name = "startTimestamp")]
    pub start_timestamp: Option<DateTime>,
    /// Timestamp when the job was stopped
    #[graphql(name = "stopTimestamp")]
    pub stop_timestamp: Option<DateTime>,
    /// Current execution state of the broadcast job
    #[graphql(name = "executionState")]
    pub execution_state: BroadcastJobState,
    /// Error reason if job was aborted automatically, empty otherwise
    #[graphql(name = "abortionReason")]
    pub abortion_reason: Option<String>,
    /// The recipient group for this broadcast
    #[graphql(name = "recipientGroup")]
    pub recipient_group: BroadcastRecipientGroup,
    /// Total number of recipients
    #[graphql(name = "recipientCount")]
    pub recipient_count: PosInt,
    /// Number of recipients already processed
    #[graphql(name = "recipientsProcessed")]
    pub recipients_processed: NonNegInt,
}

/// The recipient group targeted by a broadcast job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "BroadcastRecipientGroup")]
pub enum BroadcastRecipientGroup {
    /// All users registered in the domain
    AllUsersInDomain,
}

/// The execution state of a broadcast job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, GraphQLEnum)]
#[graphql(name = "BroadcastJobState")]
pub enum BroadcastJobState {
    /// Broadcast job is currently running
    Running,
    /// Broadcast job finished successfully
    Finished,
    /// Broadcast job was aborted due to an error
    AbortError,
    /// Broadcast job was aborted by an administrator
    AbortAdmin,
}

/// Result of a broadcast mutation operation.
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "BroadcastMutationResult")]
pub struct BroadcastMutationResult {
    /// Success or status message
    pub message: String,
    /// Affected broadcast job IDs
    pub ids: Vec<i32>,
}
