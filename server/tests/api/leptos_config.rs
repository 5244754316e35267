//! Leptos.toml (compiled into the server) and Cargo.toml (read by cargo-leptos) must agree.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

#[test]
fn server_reads_leptos_toml() {
    let options = server::config::leptos_options(Path::new("/srv/site")).unwrap();
    assert_eq!(&*options.site_root, "/srv/site");
    if std::env::var_os("LEPTOS_OUTPUT_NAME").is_none() {
        assert_eq!(&*options.output_name, "coupons");
        assert_eq!(&*options.site_pkg_dir, "pkg");
    }
}

#[test]
fn leptos_toml_agrees_with_cargo_leptos_metadata() {
    let cargo = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let leptos = std::fs::read_to_string(root().join("Leptos.toml")).unwrap();
    let value = |text: &str, key: &str| -> Option<String> {
        text.lines()
            .filter_map(|l| l.split_once('='))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim().trim_matches('"').to_owned())
    };
    let section = &cargo[cargo
        .find("[[workspace.metadata.leptos]]")
        .expect("cargo-leptos section")..];
    for key in [
        "output-name",
        "site-root",
        "site-pkg-dir",
        "site-addr",
        "reload-port",
    ] {
        let in_leptos = value(&leptos, key).unwrap_or_else(|| panic!("Leptos.toml lacks {key}"));
        assert_eq!(
            value(section, key),
            Some(in_leptos),
            "{key} differs between Cargo.toml and Leptos.toml"
        );
    }
}
