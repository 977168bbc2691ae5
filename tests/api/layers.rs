//! The layers of `src/` and the one way imports point (docs/ARCHITECTURE.md draws them). A
//! path that points back up — storage naming an adapter, one adapter naming another — fails
//! here, in CI, with the file and the line.

use std::path::{Path, PathBuf};

/// The layer a file of `src/` belongs to: its first folder, or `adapters::<name>`.
fn layer_of(relative: &Path) -> String {
    let parts: Vec<String> = relative
        .components()
        .map(|c| {
            c.as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_string()
        })
        .collect();
    match parts.as_slice() {
        [adapters, name, ..] if adapters == "adapters" => format!("adapters::{name}"),
        [first, ..] => first.clone(),
        [] => String::new(),
    }
}

/// Which layers `layer` may not name.
fn forbidden(layer: &str, named: &str) -> bool {
    let adapter = |l: &str| l.starts_with("adapters::");
    let above_storage = |l: &str| adapter(l) || matches!(l, "app" | "web" | "service");
    match layer {
        "access" => named != "access",
        "domain" => !matches!(named, "access" | "domain"),
        "scim" | "saml" => !matches!(named, "access" | "domain" | "scim" | "saml"),
        "storage" => above_storage(named) || matches!(named, "scim" | "saml"),
        "service" => adapter(named) || matches!(named, "app" | "web"),
        "web" => adapter(named) || named == "app",
        "net" | "config" | "telemetry" => above_storage(named),
        l if adapter(l) => (adapter(named) && named != l) || named == "app",
        _ => false,
    }
}

/// The layers a line of code names through `crate::` paths (comments are not code).
fn named_layers(line: &str) -> Vec<String> {
    let code = match line.find("//") {
        Some(i) => &line[..i],
        None => line,
    };
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        let first: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if first == "adapters" {
            let after = &rest["adapters::".len().min(rest.len())..];
            let name: String = after
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push(format!("adapters::{name}"));
        } else if !first.is_empty() {
            out.push(first);
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The `crate::{a, b::…}` groups of a file, flattened to their first segments, with the line
/// each starts on.
fn grouped_imports(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut search = 0;
    while let Some(start) = text[search..].find("use crate::{") {
        let begin = search + start + "use crate::{".len();
        let line = text[..begin].lines().count();
        let mut depth = 1;
        let mut item = String::new();
        let mut end = begin;
        for (i, c) in text[begin..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                _ => {}
            }
            if depth == 1 && c == ',' || depth == 0 {
                let path = item.trim().to_string();
                let mut segments = path.split("::").map(|s| s.trim().trim_start_matches('{'));
                match segments.next() {
                    Some("adapters") => {
                        if let Some(name) = segments.next() {
                            out.push((
                                line,
                                format!(
                                    "adapters::{}",
                                    name.split([',', '{', ' ']).next().unwrap_or("")
                                ),
                            ));
                        }
                    }
                    Some(first) if !first.is_empty() => out.push((line, first.to_string())),
                    _ => {}
                }
                item.clear();
            } else if depth >= 1 {
                item.push(c);
            }
            if depth == 0 {
                end = begin + i;
                break;
            }
        }
        search = end.max(begin);
    }
    out
}

/// Every import that points the wrong way: `file:line: <layer> names <layer>`.
fn violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut found = Vec::new();
    for file in files {
        let relative = file.strip_prefix(src).unwrap().to_path_buf();
        let layer = layer_of(&relative);
        let text = std::fs::read_to_string(&file).unwrap();
        let mut named: Vec<(usize, String)> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim_start().starts_with("//"))
            .flat_map(|(n, l)| named_layers(l).into_iter().map(move |x| (n + 1, x)))
            .collect();
        named.extend(grouped_imports(&text));
        for (line, other) in named {
            if forbidden(&layer, &other) {
                found.push(format!(
                    "src/{}:{line}: {layer} names {other}",
                    relative.display()
                ));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn imports_point_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    assert!(
        found.is_empty(),
        "imports pointing back up:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_notices_an_import_that_points_back_up() {
    let dir = std::env::temp_dir().join(format!("gh-layers-{}", uuid::Uuid::new_v4()));
    for (file, text) in [
        ("storage/x.rs", "use crate::adapters::scim::routes;\n"),
        (
            "adapters/scim/y.rs",
            "use crate::{\n    adapters::saml::routes,\n    web::AppState,\n};\n",
        ),
        (
            "service/z.rs",
            "// crate::web in a comment is fine\nuse crate::storage::Store;\n",
        ),
    ] {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let found = violations(&dir);
    assert_eq!(
        found,
        [
            "src/adapters/scim/y.rs:1: adapters::scim names adapters::saml",
            "src/storage/x.rs:1: storage names adapters::scim",
        ]
    );
    std::fs::remove_dir_all(dir).unwrap();
}
