//! The modules' layering (docs/architecture.md): no two top-level modules of
//! `src/` import each other, directly or through others. Read from the
//! source, as written: every `crate::name` path outside unit-test modules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The top-level modules each top-level module names.
type Imports = BTreeMap<String, BTreeSet<String>>;

/// `crate::name` paths in `source`, with `use crate::{a, b::c}` groups read
/// as `a` and `b`.
fn named_modules(source: &str) -> BTreeSet<String> {
    let ident = |s: &str| s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>();
    let mut found = BTreeSet::new();
    for (at, _) in source.match_indices("crate::") {
        let rest = &source[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && !c.is_whitespace() => {
                        start = false;
                        found.insert(ident(&group[i..]));
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(ident(rest));
        }
    }
    found.retain(|m| !m.is_empty() && m != "self");
    found
}

/// A file's code without its unit tests (`#[cfg(test)] mod … {` to the end,
/// where this project keeps them; `mod tests;` files are left out whole).
fn without_unit_tests(source: &str) -> &str {
    let inline_module = |after: &str| {
        let line = after.trim_start().lines().next().unwrap_or("");
        line.starts_with("mod ") && line.trim_end().ends_with('{')
    };
    source
        .match_indices("#[cfg(test)]")
        .find(|(at, attr)| inline_module(&source[at + attr.len()..]))
        .map_or(source, |(at, _)| &source[..at])
}

fn imports(src: &Path) -> Imports {
    let mut imports = Imports::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") || path.file_name().is_some_and(|n| n == "tests.rs") {
                continue;
            }
            let relative = path.strip_prefix(src).unwrap();
            let top = relative.components().next().unwrap().as_os_str().to_string_lossy();
            let top = top.trim_end_matches(".rs").to_owned();
            if top == "lib" || top == "main" {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            let named = named_modules(without_unit_tests(&source));
            imports.entry(top.clone()).or_default().extend(named.into_iter().filter(|m| *m != top));
        }
    }
    imports
}

/// A cycle through `imports`, as the modules along it, if there is one.
fn a_cycle(imports: &Imports) -> Option<Vec<String>> {
    fn visit(
        module: &str,
        imports: &Imports,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|m| m == module) {
            let mut cycle = path[at..].to_vec();
            cycle.push(module.to_owned());
            return Some(cycle);
        }
        if !done.insert(module.to_owned()) {
            return None;
        }
        path.push(module.to_owned());
        for next in imports.get(module).into_iter().flatten() {
            if let Some(cycle) = visit(next, imports, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    imports.keys().find_map(|m| visit(m, imports, &mut Vec::new(), &mut done))
}

#[test]
fn top_level_modules_depend_on_each_other_in_one_direction_only() {
    let imports = imports(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(imports.len() > 10, "the modules were read: {:?}", imports.keys().collect::<Vec<_>>());
    assert!(imports["routes"].contains("signing"), "imports were found: {:?}", imports["routes"]);
    if let Some(cycle) = a_cycle(&imports) {
        panic!("an import cycle between top-level modules: {}", cycle.join(" -> "));
    }
}

#[test]
fn the_cycle_check_finds_cycles() {
    let imports: Imports = [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")]
        .into_iter()
        .map(|(from, to)| (from.to_owned(), BTreeSet::from([to.to_owned()])))
        .collect();
    assert_eq!(a_cycle(&imports), Some(vec!["a".into(), "b".into(), "c".into(), "a".into()]));
    let acyclic: Imports = [("a", "b"), ("b", "c"), ("d", "a")]
        .into_iter()
        .map(|(from, to)| (from.to_owned(), BTreeSet::from([to.to_owned()])))
        .collect();
    assert_eq!(a_cycle(&acyclic), None);
    let source = "use crate::db::{self, Db};\nuse crate::{keys, signing::Signing};\nlet x = crate::now();\n\
                  #[cfg(test)]\nmod tests {\n    use crate::routes;\n}\n";
    assert_eq!(
        named_modules(without_unit_tests(source)),
        BTreeSet::from(["db".into(), "keys".into(), "now".into(), "signing".into()])
    );
}
