//! Build script: lists every file under `templates/` so the binary embeds exactly the templates
//! that exist (`src/templates.rs` includes the generated list). A template added to the
//! directory is rendered without touching any Rust list; one removed cannot linger in a list.
//! It also writes the values schema as static Rust data (`src/values/static_json.rs`), so a run
//! reads the schema in place without parsing or building anything (`src/values/schema.rs`),
//! and an index of every `properties` object of the embedded SkyPilot config schemas
//! (`src/skyconfig/schemas.rs`), so a config check parses only the parts a config reaches. And
//! it writes the Kubernetes API types
//! of `schema/kubernetes.jsonl` as static tables (`src/kubecheck/generate.rs`), so the output
//! check neither parses nor hashes anything to find a type.
//!
//! On Linux with glibc it also links the `skygen` executable as a fixed-address (non-PIE)
//! executable: see [`link_without_pie`].

use std::path::Path;

#[allow(dead_code)] // the readers (`Node`) are the library's
#[path = "src/values/static_json.rs"]
mod static_json;

/// Writes `$OUT_DIR/<output>` from the committed file `input` with `generate`, rerun when the
/// input or the generator's source changes.
fn generate(
    out_dir: &Path,
    input: &str,
    generator: &str,
    output: &str,
    generate: impl FnOnce(&str) -> String,
) {
    println!("cargo:rerun-if-changed={input}");
    println!("cargo:rerun-if-changed={generator}");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(input);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {input}: {e}"));
    std::fs::write(out_dir.join(output), generate(&text))
        .unwrap_or_else(|e| panic!("write {output}: {e}"));
}

/// `schema/values.schema.json` as a static [`static_json::Json`], in
/// `$OUT_DIR/values_schema.rs`.
fn values_schema(out_dir: &Path) {
    generate(
        out_dir,
        "schema/values.schema.json",
        "src/values/static_json.rs",
        "values_schema.rs",
        |text| {
            let schema: serde_json::Value =
                serde_json::from_str(text).expect("schema/values.schema.json is JSON");
            let mut code = String::from("pub(super) static SCHEMA: Json = ");
            static_json::write(&schema, 0, &mut code);
            code.push_str(";\n");
            code
        },
    );
}

#[path = "src/kubecheck/generate.rs"]
mod kube_types;

/// `schema/kubernetes.jsonl` as static Rust tables, in `$OUT_DIR/kube_types.rs`.
fn kube_types(out_dir: &Path) {
    generate(
        out_dir,
        "schema/kubernetes.jsonl",
        "src/kubecheck/generate.rs",
        "kube_types.rs",
        kube_types::write,
    );
}

fn collect(dir: &Path, root: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    // Sorted: the list, and so the render order, never depends on the filesystem.
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, root, out);
        } else {
            let rel = path
                .strip_prefix(root)
                .expect("under templates/")
                .to_str()
                .expect("template paths are UTF-8")
                .replace('\\', "/");
            out.push(rel);
        }
    }
}

/// A position-independent executable must be relocated by the dynamic loader at every start:
/// ~15,000 relative relocations over ~280 KB of tables, each written page a copy-on-write fault,
/// and page faults are the most expensive part of starting a process in a virtual machine (about
/// 90 of a render's 300 faults, 0.5-0.7 ms; #11). skygen is a short-lived command-line compiler
/// of local files, so address-space randomisation of its own image buys little; shared libraries
/// and the heap stay randomised. Only the `skygen` executable is linked this way (the tests run
/// that same executable), and only where the GNU toolchain understands `-no-pie`.
fn link_without_pie() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}

#[path = "src/skyconfig/scan.rs"]
mod scan;

/// For each SkyPilot config schema under `schema/skypilot/`, where the entries of each of its
/// `properties` objects are (`src/skyconfig/schemas.rs` includes one file per schema), so
/// checking a config jumps to the keys it has instead of scanning 60 KB (#11). `None` when the scanner
/// cannot index a file; the check then scans it.
fn index_skypilot_schemas() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/skypilot");
    println!("cargo:rerun-if-changed=schema/skypilot");
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).to_path_buf();
    for entry in std::fs::read_dir(&dir).expect("schema/skypilot is readable") {
        let path = entry.expect("directory entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let Some(stem) = name.strip_suffix(".json") else {
            continue;
        };
        println!("cargo:rerun-if-changed=schema/skypilot/{name}");
        let text = std::fs::read_to_string(&path).expect("schema files are UTF-8");
        let code = match scan::properties_index(&text) {
            Some(index) => {
                let mut code = String::from("Some(&[\n");
                for (entries, start, end) in index {
                    let list: Vec<String> = entries
                        .iter()
                        .map(|(key, from, to)| format!("({key:?}, {from}, {to})"))
                        .collect();
                    code.push_str(&format!("    (&[{}], {start}, {end}),\n", list.join(", ")));
                }
                code.push_str("])");
                code
            }
            None => "None".to_owned(),
        };
        std::fs::write(out.join(format!("skypilot-{stem}.properties.rs")), code)
            .expect("write a schema index");
    }
}

fn main() {
    link_without_pie();
    index_skypilot_schemas();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    println!("cargo:rerun-if-changed=templates");
    let mut names = Vec::new();
    collect(&root, &root, &mut names);
    let mut code = String::from("&[\n");
    for name in &names {
        println!("cargo:rerun-if-changed=templates/{name}");
        code.push_str(&format!(
            "    ({name:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/templates/{name}\"))),\n"
        ));
    }
    code.push_str("]\n");
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let out_dir = Path::new(&out_dir);
    std::fs::write(out_dir.join("templates.rs"), code).expect("write the template list");
    values_schema(out_dir);
    kube_types(out_dir);
}
