//! Ward's standard library: the modules every program can `use`, embedded as Ward source.
//!
//! The files live beside this crate (`stdlib/k8s/*.ward`, …) and are embedded with
//! `include_str!`, so the library needs no files at run time and builds for wasm. A test checks
//! that [`FILES`] lists exactly the `.ward` files on disk.

/// Every standard-library file: its path under `stdlib/` and its text.
pub const FILES: &[(&str, &str)] = &[
    ("attest/intoto.ward", include_str!("../attest/intoto.ward")),
    ("docker/dockerfile.ward", include_str!("../docker/dockerfile.ward")),
    ("image/config.ward", include_str!("../image/config.ward")),
    ("k8s/admissionregistration.ward", include_str!("../k8s/admissionregistration.ward")),
    ("k8s/apiextensions.ward", include_str!("../k8s/apiextensions.ward")),
    ("k8s/apiregistration.ward", include_str!("../k8s/apiregistration.ward")),
    ("k8s/apiserverinternal.ward", include_str!("../k8s/apiserverinternal.ward")),
    ("k8s/apps.ward", include_str!("../k8s/apps.ward")),
    ("k8s/authentication.ward", include_str!("../k8s/authentication.ward")),
    ("k8s/authorization.ward", include_str!("../k8s/authorization.ward")),
    ("k8s/autoscaling.ward", include_str!("../k8s/autoscaling.ward")),
    ("k8s/batch.ward", include_str!("../k8s/batch.ward")),
    ("k8s/certificates.ward", include_str!("../k8s/certificates.ward")),
    ("k8s/coordination.ward", include_str!("../k8s/coordination.ward")),
    ("k8s/core.ward", include_str!("../k8s/core.ward")),
    ("k8s/discovery.ward", include_str!("../k8s/discovery.ward")),
    ("k8s/events.ward", include_str!("../k8s/events.ward")),
    ("k8s/flowcontrol.ward", include_str!("../k8s/flowcontrol.ward")),
    ("k8s/lifecycle.ward", include_str!("../k8s/lifecycle.ward")),
    ("k8s/meta.ward", include_str!("../k8s/meta.ward")),
    ("k8s/networking.ward", include_str!("../k8s/networking.ward")),
    ("k8s/node.ward", include_str!("../k8s/node.ward")),
    ("k8s/policy.ward", include_str!("../k8s/policy.ward")),
    ("k8s/rbac.ward", include_str!("../k8s/rbac.ward")),
    ("k8s/resource.ward", include_str!("../k8s/resource.ward")),
    ("k8s/scheduling.ward", include_str!("../k8s/scheduling.ward")),
    ("k8s/storage.ward", include_str!("../k8s/storage.ward")),
    ("k8s/storagemigration.ward", include_str!("../k8s/storagemigration.ward")),
    ("k8s/workload.ward", include_str!("../k8s/workload.ward")),
    ("pss/baseline.ward", include_str!("../pss/baseline.ward")),
    ("pss/restricted.ward", include_str!("../pss/restricted.ward")),
    ("pss/version.ward", include_str!("../pss/version.ward")),
    ("sbom/cyclonedx.ward", include_str!("../sbom/cyclonedx.ward")),
    ("scan/trivy.ward", include_str!("../scan/trivy.ward")),
];

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    fn on_disk(dir: &std::path::Path, prefix: &str, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if entry.file_type().unwrap().is_dir() {
                if name != "src" && name != "tests" {
                    on_disk(&entry.path(), &format!("{name}/"), out);
                }
            } else if name.ends_with(".ward") {
                out.insert(name);
            }
        }
    }

    #[test]
    fn files_lists_every_ward_file() {
        let mut disk = BTreeSet::new();
        on_disk(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), "", &mut disk);
        let listed: BTreeSet<String> = super::FILES.iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(listed, disk, "update FILES in stdlib/src/lib.rs");
    }
}
