//! Shared benchmark inputs: a deterministic generator of realistic manifests and the committed
//! corpus of real-world manifests.

#![allow(dead_code, reason = "each bench uses a different subset")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "benchmarks fail loudly"
)]

use serde_json::{Value, json};

/// A small, fast, deterministic pseudo-random generator (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const IMAGES: &[&str] = &[
    "nginx:1.25.3",
    "nginx",
    "nginx:latest",
    "ghcr.io/acme/api:2.4.1",
    "registry.example.com:5000/team/worker",
    "redis@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "busybox:1.36",
    "quay.io/prometheus/node-exporter:v1.7.0",
];

fn security_context(rng: &mut Rng) -> Option<Value> {
    match rng.below(6) {
        0 => None,
        1 => Some(json!({ "privileged": true })),
        2 => Some(
            json!({ "runAsNonRoot": true, "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                          "capabilities": { "drop": ["ALL"] }, "seccompProfile": { "type": "RuntimeDefault" } }),
        ),
        3 => Some(json!({ "runAsNonRoot": false, "runAsUser": 0 })),
        4 => Some(json!({ "capabilities": { "add": ["NET_ADMIN", "SYS_TIME"] } })),
        _ => Some(json!({ "allowPrivilegeEscalation": true })),
    }
}

fn container(rng: &mut Rng, i: u64) -> Value {
    let mut c = json!({
        "name": format!("c{i}"),
        "image": IMAGES[rng.below(IMAGES.len() as u64) as usize],
        "ports": [{ "containerPort": 8080 + i, "protocol": "TCP" }],
        "env": [{ "name": "MODE", "value": "production" }, { "name": "LOG_LEVEL", "value": "info" }],
        "resources": { "limits": { "cpu": "500m", "memory": "256Mi" }, "requests": { "cpu": "100m", "memory": "128Mi" } },
        "volumeMounts": [{ "name": "data", "mountPath": "/data" }],
    });
    if let Some(sc) = security_context(rng) {
        c["securityContext"] = sc;
    }
    c
}

fn pod_spec(rng: &mut Rng) -> Value {
    let n = 1 + rng.below(3);
    let mut spec = json!({
        "containers": (0..n).map(|i| container(rng, i)).collect::<Vec<_>>(),
        "volumes": [{ "name": "data", "emptyDir": {} }],
    });
    if rng.chance(20) {
        spec["initContainers"] = json!([container(rng, 9)]);
    }
    if rng.chance(40) {
        spec["securityContext"] =
            json!({ "runAsNonRoot": true, "seccompProfile": { "type": "RuntimeDefault" } });
    }
    if rng.chance(5) {
        spec["hostNetwork"] = json!(true);
    }
    spec
}

/// The `i`-th generated manifest: a Pod (two thirds) or a Deployment.
pub fn manifest(rng: &mut Rng, i: u64) -> Value {
    let meta = json!({ "name": format!("app-{i}"), "namespace": format!("ns-{}", i % 17), "labels": { "app": format!("app-{i}") } });
    if rng.below(3) < 2 {
        json!({ "apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod_spec(rng) })
    } else {
        json!({ "apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
                "spec": { "replicas": 3, "selector": { "matchLabels": { "app": format!("app-{i}") } },
                          "template": { "metadata": { "labels": { "app": format!("app-{i}") } }, "spec": pod_spec(rng) } } })
    }
}

/// `n` generated Pods only (for rules written over Pods), as JSON texts.
pub fn pods_json(n: u64) -> Vec<String> {
    let mut rng = Rng::new(42);
    (0..n)
        .map(|i| {
            let meta = json!({ "name": format!("pod-{i}"), "namespace": "bench" });
            serde_json::to_string(&json!({ "apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": pod_spec(&mut rng) })).unwrap()
        })
        .collect()
}

/// `n` generated manifests (pods and deployments), as JSON texts.
pub fn manifests_json(n: u64) -> Vec<String> {
    let mut rng = Rng::new(7);
    (0..n).map(|i| serde_json::to_string(&manifest(&mut rng, i)).unwrap()).collect()
}

/// The same manifests as one multi-document YAML stream.
pub fn manifests_yaml(n: u64) -> String {
    manifests_json(n)
        .iter()
        .map(|j| format!("---\n{}\n", json_to_yaml(&serde_json::from_str(j).unwrap(), 0)))
        .collect()
}

/// A plain block-style YAML rendering (enough for generated data: no special strings).
pub fn json_to_yaml(v: &Value, indent: usize) -> String {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) if !m.is_empty() => m
            .iter()
            .map(|(k, v)| match v {
                Value::Object(o) if !o.is_empty() => {
                    format!("{pad}{k}:\n{}", json_to_yaml(v, indent + 2))
                }
                Value::Array(a) if !a.is_empty() => {
                    format!("{pad}{k}:\n{}", json_to_yaml(v, indent))
                }
                _ => format!("{pad}{k}: {}\n", scalar(v)),
            })
            .collect(),
        Value::Array(a) if !a.is_empty() => a
            .iter()
            .map(|item| {
                let body = json_to_yaml(item, indent + 2);
                match item {
                    Value::Object(o) if !o.is_empty() => format!("{pad}- {}", body.trim_start()),
                    _ => format!("{pad}- {}\n", scalar(item)),
                }
            })
            .collect(),
        _ => format!("{pad}{}\n", scalar(v)),
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => serde_json::to_string(s).unwrap(),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        other => other.to_string(),
    }
}

/// The committed real-world corpus: `(file name, text)`.
pub fn corpus() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/corpus");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| (p.display().to_string(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    out.sort();
    out
}

/// `n` manifests like [`manifests_json`] but hardened to pass the restricted Pod Security
/// Standard: evaluation cost without the cost of producing findings.
pub fn compliant_manifests_json(n: u64) -> Vec<String> {
    let hardened = json!({ "runAsNonRoot": true, "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                           "capabilities": { "drop": ["ALL"] }, "seccompProfile": { "type": "RuntimeDefault" } });
    manifests_json(n)
        .iter()
        .map(|text| {
            let mut v: Value = serde_json::from_str(text).unwrap();
            let spec = if v["kind"] == "Pod" {
                &mut v["spec"]
            } else {
                &mut v["spec"]["template"]["spec"]
            };
            spec.as_object_mut().unwrap().remove("hostNetwork");
            spec["securityContext"] =
                json!({ "runAsNonRoot": true, "seccompProfile": { "type": "RuntimeDefault" } });
            for list in ["containers", "initContainers"] {
                if let Some(cs) = spec.get_mut(list).and_then(Value::as_array_mut) {
                    for c in cs {
                        c["securityContext"] = hardened.clone();
                    }
                }
            }
            serde_json::to_string(&v).unwrap()
        })
        .collect()
}
