//! Property test of the GraphQL transport's request decoding (issue 11): mutated POST
//! bodies and GET query strings go through the JSON budget walk and the decoders. None
//! may panic; a body the budget walk accepts is decoded or refused, and every accepted
//! request carries a query.

use handler_graphql::guard::within_budget;
use handler_graphql::http::{decode_get, decode_post};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};

/// A seeded generator, so that a failure replays; `below(n)` is uniform in `0..n`.
struct Rng(SmallRng);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(SmallRng::seed_from_u64(seed))
    }
    fn below(&mut self, n: usize) -> usize {
        self.0.random_range(0..n.max(1))
    }
}

const BODIES: &[&str] = &[
    r#"{"query":"{ checkAuth { authStatus } }"}"#,
    r#"{"query":"query Q($d: String!) { account { listUsers(domain: $d) } }","variables":{"d":"localhost"},"operationName":"Q"}"#,
    r#"{"query":"mutation { account { registerUser(domain: \"localhost\", username: \"u\", password: \"p\") { message } } }","variables":"{\"x\":[1,2,{\"y\":null}]}"}"#,
    r#"{"query":"{ a }","variables":{"deep":[[[[[[[[[[[[1]]]]]]]]]]]],"s":"\u00e9\ud83e\udd80"}}"#,
];

const QUERY_STRINGS: &[&str] = &[
    "query=%7B%20checkAuth%20%7B%20authStatus%20%7D%20%7D",
    "query=query%20Q(%24d%3A%20String!)%7Ba%7D&variables=%7B%22d%22%3A%22x%22%7D&operationName=Q",
    "query=%7Ba%7D&variables=",
];

const INTERESTING: &[u8] = b"{}[]\":,\\0123456789.eE+-ntfu %&=\x00\xff\xc3";

fn mutate(rng: &mut Rng, input: &mut Vec<u8>) {
    for _ in 0..=rng.below(4) {
        let at = rng.below(input.len() + 1);
        match rng.below(5) {
            0 if !input.is_empty() => {
                let i = rng.below(input.len());
                input[i] ^= 1 << rng.below(8);
            }
            1 if at < input.len() => {
                input.remove(at);
            }
            2 => input.insert(at, INTERESTING[rng.below(INTERESTING.len())]),
            3 if !input.is_empty() => {
                // Repeat a slice: nests brackets, lengthens arrays.
                let a = rng.below(input.len());
                let b = (a + rng.below(16)).min(input.len());
                let chunk = input[a..b].repeat(1 + rng.below(8));
                input.splice(at..at, chunk);
            }
            _ => input.truncate(at),
        }
    }
}

#[test]
fn mutated_requests_never_panic() {
    let mut rng = Rng::new(0x6a71_0b0d_01e5_0001);
    let (mut accepted, mut refused) = (0usize, 0usize);
    for round in 0..20_000 {
        let mut body = BODIES[round % BODIES.len()].as_bytes().to_vec();
        mutate(&mut rng, &mut body);
        if within_budget(&body).is_ok() {
            match decode_post(&body) {
                Ok(request) => {
                    assert!(!request.query.is_empty(), "accepted without a query");
                    accepted += 1;
                }
                Err(_) => refused += 1,
            }
        } else {
            refused += 1;
        }
        let mut qs = QUERY_STRINGS[round % QUERY_STRINGS.len()]
            .as_bytes()
            .to_vec();
        mutate(&mut rng, &mut qs);
        let qs = String::from_utf8_lossy(&qs);
        for unauthenticated in [false, true] {
            if let Ok(request) = decode_get(&qs, unauthenticated) {
                assert!(!request.query.is_empty(), "accepted without a query: {qs}");
            }
        }
    }
    // Both outcomes must occur, or the mutations test nothing.
    assert!(
        accepted > 500 && refused > 500,
        "accepted {accepted}, refused {refused}"
    );
}
