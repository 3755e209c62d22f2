//! `global/http_upload.gql`.

use juniper::GraphQLObject;

/// Type containing put url and get url for the file
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "FileUrls")]
pub struct FileUrls {
    /// Url to put the file
    #[graphql(name = "putUrl")]
    pub put_url: Option<String>,
    /// Url to get the file
    #[graphql(name = "getUrl")]
    pub get_url: Option<String>,
    /// Http headers
    pub headers: Option<Vec<Option<Header>>>,
}

/// Type containing a HTTP header
#[derive(Clone, Debug, GraphQLObject)]
#[graphql(name = "Header")]
pub struct Header {
    /// Name
    pub name: Option<String>,
    /// Value
    pub value: Option<String>,
}
