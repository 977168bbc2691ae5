//! Property-style tests with a fixed-seed generator: random trees survive the
//! `Display` → parse round trip, and random or truncated input never panics
//! the parsers (RFC 7644 §3.4.2.2, §3.5.2).

use super::*;

/// xorshift64*: small, deterministic, dependency-free.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const NAMES: &[&str] = &[
    "userName", "emails", "x", "a-b_c9", "not", "and", "or", "pr", "eq", "true", "null", "Z",
];
const SUBS: &[&str] = &["value", "type", "$ref", "givenName", "x1"];
const URNS: &[&str] = &[
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "urn:a:b",
];

fn random_string(rng: &mut Rng) -> String {
    let len = rng.below(8);
    (0..len)
        .map(|_| match rng.below(4) {
            0 => ['"', '\\', '/', '\n', '\u{1}', '\u{7f}', ' ', '(', ']'][rng.below(9)],
            1 => char::from_u32(rng.below(0x11_0000) as u32).unwrap_or('\u{fffd}'),
            _ => char::from(b'a' + rng.below(26) as u8),
        })
        .collect()
}

fn random_value(rng: &mut Rng) -> Value {
    match rng.below(6) {
        0 => Value::String(random_string(rng)),
        1 => Value::Integer(rng.next() as i64),
        2 => Value::Integer(rng.below(100) as i64 - 50),
        3 => {
            let d = f64::from_bits(rng.next());
            Value::Decimal(if d.is_finite() { d } else { 0.5 })
        }
        4 => Value::Boolean(rng.below(2) == 0),
        _ => Value::Null,
    }
}

fn random_path(rng: &mut Rng, relative: bool) -> AttrPath {
    let path = AttrPath::new(rng.pick(NAMES));
    if relative {
        return path;
    }
    let path = if rng.below(3) == 0 {
        path.with_sub(rng.pick(SUBS))
    } else {
        path
    };
    if rng.below(4) == 0 {
        path.with_urn(rng.pick(URNS))
    } else {
        path
    }
}

fn random_filter(rng: &mut Rng, depth: usize, in_value_path: bool) -> Filter {
    let leaf = depth == 0 || rng.below(3) == 0;
    if leaf {
        let path = random_path(rng, in_value_path);
        if rng.below(5) == 0 {
            return Filter::Present(path);
        }
        let op = CompareOp::ALL[rng.below(CompareOp::ALL.len())];
        return Filter::Compare {
            path,
            op,
            value: random_value(rng),
        };
    }
    let sub = |rng: &mut Rng| Box::new(random_filter(rng, depth - 1, in_value_path));
    match rng.below(if in_value_path { 3 } else { 4 }) {
        0 => Filter::And(sub(rng), sub(rng)),
        1 => Filter::Or(sub(rng), sub(rng)),
        2 => Filter::Not(sub(rng)),
        _ => Filter::ValuePath {
            path: AttrPath::new(rng.pick(NAMES)),
            filter: Box::new(random_filter(rng, depth - 1, true)),
        },
    }
}

#[test]
fn random_trees_round_trip() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..3000 {
        let filter = random_filter(&mut rng, 5, false);
        let text = filter.to_string();
        match parse_filter(&text) {
            Ok(parsed) => assert_eq!(parsed, filter, "{text}"),
            Err(e) => panic!("{text:?} did not re-parse: {e}"),
        }
    }
}

#[test]
fn random_patch_paths_round_trip() {
    let mut rng = Rng(42);
    for _ in 0..1000 {
        let with_filter = rng.below(2) == 0;
        let path = PatchPath {
            attr: if with_filter {
                AttrPath::new(rng.pick(NAMES))
            } else {
                random_path(&mut rng, false)
            },
            value_filter: with_filter.then(|| random_filter(&mut rng, 3, true)),
            sub_attr: (with_filter && rng.below(2) == 0).then(|| rng.pick(SUBS).to_string()),
        };
        let text = path.to_string();
        assert_eq!(parse_patch_path(&text), Ok(path), "{text}");
    }
}

const PIECES: &[&str] = &[
    "(", ")", "[", "]", "\"", "\\", " ", "  ", "eq", "and", "or", "not", "pr", "a", "b.c", ".",
    ":", "urn:x:", "1", "-", "e", "1.5", "é", "\u{0}", "\\u", "d83d", "true", "null", "$ref",
];

#[test]
fn random_input_never_panics() {
    let mut rng = Rng(7);
    for _ in 0..20_000 {
        let text: String = (0..rng.below(14)).map(|_| rng.pick(PIECES)).collect();
        if let Ok(filter) = parse_filter(&text) {
            assert_eq!(parse_filter(&filter.to_string()), Ok(filter), "{text}");
        }
        if let Ok(path) = parse_patch_path(&text) {
            assert_eq!(parse_patch_path(&path.to_string()), Ok(path), "{text}");
        }
    }
}

#[test]
fn truncated_filters_never_panic() {
    let samples = [
        r#"emails[type eq "work" and value co "@ex\u00e9.com"].value eq "x" or not (a.b pr)"#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "\ud83d\ude00""#,
        "((a eq -1.5e3) and b ne TRUE) OR c le null",
    ];
    for sample in samples {
        for (cut, _) in sample.char_indices() {
            let prefix = &sample[..cut];
            let _ = parse_filter(prefix);
            let _ = parse_patch_path(prefix);
        }
        assert!(parse_filter(sample).is_ok(), "{sample}");
    }
}
