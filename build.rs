//! Generates `include/specrt.h` from the crate's C ABI with cbindgen, writing it only when it
//! changed. `make test` fails when the committed header differs from this generation.

use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=build.rs");

    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        // The shared library's SONAME carries the major version: libspecrt.so.MAJOR.
        let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap();
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libspecrt.so.{major}");
    }

    let mut config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is valid");
    let version = |part: &str| std::env::var(format!("CARGO_PKG_VERSION_{part}")).unwrap();
    let (major, minor, patch) = (version("MAJOR"), version("MINOR"), version("PATCH"));
    config.after_includes = Some(format!(
        "\n/** Major version of this header. */\n#define SPECRT_VERSION_MAJOR {major}\n\
         /** Minor version of this header. */\n#define SPECRT_VERSION_MINOR {minor}\n\
         /** Patch version of this header. */\n#define SPECRT_VERSION_PATCH {patch}\n\
         /** MAJOR * 10000 + MINOR * 100 + PATCH; equals specrt_version_number() of a matching library. */\n\
         #define SPECRT_VERSION_NUMBER ({major} * 10000 + {minor} * 100 + {patch})\n\n\
         /** The GPU runtime's declarations are visible unless SPECRT_NO_GPU is defined (define it\n\
          * when linking a library built with --no-default-features: the policy core only). */\n\
         #if !defined(SPECRT_NO_GPU) && !defined(SPECRT_GPU)\n#define SPECRT_GPU 1\n#endif\n"
    ));
    let bindings = cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen can read the C ABI");
    let header = crate_dir.join("include").join("specrt.h");
    let mut fresh = Vec::new();
    bindings.write(&mut fresh);
    if std::fs::read(&header).ok().as_deref() != Some(fresh.as_slice()) {
        std::fs::create_dir_all(header.parent().unwrap()).expect("include/ can be created");
        std::fs::write(&header, fresh).expect("include/specrt.h can be written");
    }
}
