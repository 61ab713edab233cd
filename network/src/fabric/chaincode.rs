//! A chaincode's part of the kit: its CCaaS package and id, its collections and endorsement
//! policy (the arguments of `approveformyorg` and `commit`), the server's environment, a
//! container recipe and a Kubernetes manifest for the server.
//!
//! The `medledger` chaincode's collections come from the medical contract's own file
//! (`chaincode/medledger/config/collections.json`, compiled in: [`MEDLEDGER_COLLECTIONS_JSON`])
//! unless the topology gives `collections` or `collections_file`.

use super::package::{CcaasPackage, chaincode_package};
use crate::error::{Error, Result};
use crate::topology::{ChaincodeDef, Topology};
use fabric_sdk::policy::collection::parse_collections_json;
use serde::Serialize;

/// The medical contract's chaincode name.
pub const MEDLEDGER_CHAINCODE: &str = "medledger";

/// The medical contract's private data collections (Fabric's collections JSON), the file the
/// contract's tests check against its consortium directory.
pub const MEDLEDGER_COLLECTIONS_JSON: &str =
    include_str!("../../../chaincode/medledger/config/collections.json");

/// A chaincode as the kit deploys it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KitChaincode {
    /// Chaincode name.
    pub name: String,
    /// Definition version.
    pub version: String,
    /// Definition sequence.
    pub sequence: u64,
    /// Package label.
    pub label: String,
    /// `<label>:<sha256 hex>`.
    pub package_id: String,
    /// Where peers dial the server (`connection.json`'s address).
    pub address: String,
    /// Whether peers dial with TLS.
    pub tls: bool,
    /// `--signature-policy`, or `None` for the channel's default endorsement policy.
    pub endorsement_policy: Option<String>,
    /// Fabric's collections JSON (`--collections-config`), if any.
    #[serde(skip)]
    pub collections_json: Option<String>,
    /// `--init-required`.
    pub init_required: bool,
    /// The package.
    #[serde(skip)]
    pub package: CcaasPackage,
}

/// The collections JSON of `def`: the topology's (text or file), else the medical contract's
/// for the `medledger` chaincode, else none. Checked: Fabric's format, and every member
/// organisation on the channel.
pub fn collections_json(topology: &Topology, def: &ChaincodeDef) -> Result<Option<String>> {
    let json = match (&def.collections, &def.collections_file) {
        (Some(text), _) => Some(text.clone()),
        (None, Some(path)) => Some(std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?),
        (None, None) if def.name == MEDLEDGER_CHAINCODE => {
            Some(MEDLEDGER_COLLECTIONS_JSON.to_owned())
        }
        (None, None) => None,
    };
    let Some(json) = json else { return Ok(None) };
    parse_collections_json(json.as_bytes())
        .map_err(|e| Error::Kit(format!("collections of chaincode {}: {e}", def.name)))?;
    // The topology's rules (members are organisations of the channel) on the text we use.
    let mut check = topology.clone();
    if let Some(cc) = check.chaincodes.iter_mut().find(|c| c.name == def.name) {
        cc.collections = Some(json.clone());
        cc.collections_file = None;
    }
    check.validate()?;
    Ok(Some(json))
}

/// The kit's view of chaincode `def`, its package dialling `address`.
pub fn kit_chaincode(
    topology: &Topology,
    def: &ChaincodeDef,
    address: &str,
) -> Result<KitChaincode> {
    if def.package_id.is_some() && def.address.is_none() && def.command.is_none() {
        return Err(Error::Kit(format!(
            "chaincode {}: the topology fixes package_id but gives no address; the kit makes \
             the package itself and needs the address peers dial (`address` or \
             --chaincode-address)",
            def.name
        )));
    }
    if def.tls.required && def.tls.client_auth && def.tls.client_cert.is_none() {
        return Err(Error::Kit(format!(
            "chaincode {}: tls.client_auth needs client_cert and client_key in the topology: a \
             real peer presents the certificate named in connection.json",
            def.name
        )));
    }
    let package = chaincode_package(def, Some(address))?;
    Ok(KitChaincode {
        name: def.name.clone(),
        version: def.version.clone(),
        sequence: def.sequence,
        label: package.label.clone(),
        package_id: package.package_id.clone(),
        address: address.to_owned(),
        tls: def.tls.required,
        endorsement_policy: def.endorsement_policy.clone(),
        collections_json: collections_json(topology, def)?,
        init_required: def.init_required,
        package,
    })
}

/// Splits `host:port`.
fn host_port(address: &str) -> Option<(&str, u16)> {
    let (host, port) = address.rsplit_once(':')?;
    Some((
        host.trim_start_matches('[').trim_end_matches(']'),
        port.parse().ok()?,
    ))
}

/// Where the server listens for an address peers dial: the same loopback address, else every
/// interface on that port.
pub fn listen_address(address: &str) -> String {
    match host_port(address) {
        Some((host, _)) if host == "127.0.0.1" || host == "localhost" || host == "::1" => {
            address.to_owned()
        }
        Some((_, port)) => format!("0.0.0.0:{port}"),
        None => address.to_owned(),
    }
}

/// `server.env`: the chaincode server's environment (sourced by `scripts/chaincode-server.sh`).
pub fn server_env(cc: &KitChaincode) -> String {
    let mut out = format!(
        "# The {name} chaincode server (chaincode as a service): what it listens on and the package id\n\
         # it registers with. Generated by `medledger network config`.\n\
         export CHAINCODE_SERVER_ADDRESS=\"{listen}\"\n\
         export CHAINCODE_ID=\"{id}\"\n",
        name = cc.name,
        listen = listen_address(&cc.address),
        id = cc.package_id,
    );
    if cc.tls {
        out.push_str(
            "# Peers dial with TLS: give the server its certificate and key (paths or PEM), and the\n\
             # client CA when the package requires client authentication.\n\
             export CHAINCODE_TLS_CERT=\"${CHAINCODE_TLS_CERT:?set CHAINCODE_TLS_CERT to the chaincode server's TLS certificate}\"\n\
             export CHAINCODE_TLS_KEY=\"${CHAINCODE_TLS_KEY:?set CHAINCODE_TLS_KEY to the chaincode server's TLS key}\"\n",
        );
    }
    out
}

/// A container recipe for the medical chaincode server, built from the MedLedger sources (the
/// repository root is the build context).
pub fn dockerfile(cc: &KitChaincode) -> String {
    let port = host_port(&cc.address).map_or(9999, |(_, p)| p);
    format!(
        "# The medledger chaincode server (chaincode as a service) for Fabric peers.\n\
         # Build from the MedLedger repository root:\n\
         #   docker build -f <kit>/chaincode/{name}/Dockerfile -t medledger-chaincode:{version} .\n\
         # Run (the package id is in <kit>/chaincode/{name}/package-id):\n\
         #   docker run -p {port}:{port} -e CHAINCODE_ID={id} medledger-chaincode:{version}\n\
         # TLS: add CHAINCODE_TLS_CERT and CHAINCODE_TLS_KEY (paths or PEM), and CHAINCODE_CLIENT_CA_CERT\n\
         # for client authentication.\n\
         FROM rust:1.90-bookworm AS build\n\
         RUN apt-get update && apt-get install -y --no-install-recommends cmake clang && rm -rf /var/lib/apt/lists/*\n\
         WORKDIR /src\n\
         COPY Cargo.toml Cargo.lock ./\n\
         COPY proto proto\n\
         COPY sdk sdk\n\
         COPY chaincode chaincode\n\
         COPY network network\n\
         COPY cli cli\n\
         COPY tests tests\n\
         RUN cargo build --release --locked -p medledger-chaincode --bin medledger-chaincode\n\
         \n\
         FROM debian:bookworm-slim\n\
         RUN useradd --system --uid 10001 --no-create-home chaincode\n\
         COPY --from=build /src/target/release/medledger-chaincode /usr/local/bin/medledger-chaincode\n\
         USER 10001\n\
         ENV CHAINCODE_SERVER_ADDRESS=0.0.0.0:{port}\n\
         EXPOSE {port}\n\
         ENTRYPOINT [\"/usr/local/bin/medledger-chaincode\"]\n",
        name = cc.name,
        version = cc.version,
        id = cc.package_id,
    )
}

/// The Kubernetes Service name for the server: the first label of the package's host when it
/// is a DNS name, else `<chaincode>-chaincode`.
pub fn service_name(cc: &KitChaincode) -> String {
    let from_host = host_port(&cc.address).and_then(|(host, _)| {
        let label = host.split('.').next()?;
        let ok = host.parse::<std::net::IpAddr>().is_err()
            && label != "localhost"
            && label.len() <= 63
            && label.starts_with(|c: char| c.is_ascii_lowercase())
            && label
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !label.ends_with('-');
        ok.then(|| label.to_owned())
    });
    from_host.unwrap_or_else(|| {
        let base: String = cc
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        format!("{}-chaincode", base.trim_matches('-'))
    })
}

/// A Deployment and a Service for the chaincode server (one YAML stream).
pub fn kubernetes_manifest(cc: &KitChaincode) -> Result<String> {
    let port = host_port(&cc.address).map_or(9999, |(_, p)| p);
    let name = service_name(cc);
    let labels = serde_json::json!({
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/part-of": "medledger",
    });
    let service = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "selector": {"app.kubernetes.io/name": name},
            "ports": [{"name": "chaincode", "port": port, "targetPort": "chaincode", "protocol": "TCP"}],
        },
    });
    let mut env = vec![
        serde_json::json!({"name": "CHAINCODE_SERVER_ADDRESS", "value": format!("0.0.0.0:{port}")}),
        serde_json::json!({"name": "CHAINCODE_ID", "value": cc.package_id}),
    ];
    let mut container = serde_json::json!({
        "name": "chaincode",
        "image": format!("medledger-chaincode:{}", cc.version),
        "ports": [{"name": "chaincode", "containerPort": port}],
        "readinessProbe": {"tcpSocket": {"port": "chaincode"}, "periodSeconds": 5},
        "livenessProbe": {"tcpSocket": {"port": "chaincode"}, "periodSeconds": 20},
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
        "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true},
    });
    let mut pod = serde_json::json!({
        "securityContext": {"runAsNonRoot": true, "runAsUser": 10001},
    });
    if cc.tls {
        env.push(serde_json::json!({"name": "CHAINCODE_TLS_CERT", "value": "/etc/medledger/tls/tls.crt"}));
        env.push(
            serde_json::json!({"name": "CHAINCODE_TLS_KEY", "value": "/etc/medledger/tls/tls.key"}),
        );
        container["volumeMounts"] = serde_json::json!([{"name": "tls", "mountPath": "/etc/medledger/tls", "readOnly": true}]);
        pod["volumes"] =
            serde_json::json!([{"name": "tls", "secret": {"secretName": format!("{name}-tls")}}]);
    }
    container["env"] = serde_json::Value::Array(env);
    pod["containers"] = serde_json::json!([container]);
    let deployment = serde_json::json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {"metadata": {"labels": labels}, "spec": pod},
        },
    });
    let yaml = |v: &serde_json::Value| {
        serde_yaml_ng::to_string(v).map_err(|e| Error::Kit(format!("Kubernetes manifest: {e}")))
    };
    let tls_note = if cc.tls {
        format!(
            "# TLS: create the Secret {name}-tls (kubectl create secret tls {name}-tls --cert=... --key=...)\n\
             # with a certificate for the host in the package's address, signed by the package's root_cert.\n"
        )
    } else {
        String::new()
    };
    Ok(format!(
        "# The {cc_name} chaincode server for Fabric peers (chaincode as a service).\n\
         # The installed package ({id}) makes peers dial {address};\n\
         # that address must reach this Service (generate the kit with\n\
         # --chaincode-address {name}.<namespace>.svc.cluster.local:{port} for peers inside the cluster).\n\
         {tls_note}\
         # Image: see the Dockerfile next to this file.\n\
         {service}---\n{deployment}",
        cc_name = cc.name,
        id = cc.package_id,
        address = cc.address,
        service = yaml(&service)?,
        deployment = yaml(&deployment)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_addresses() {
        assert_eq!(listen_address("127.0.0.1:9999"), "127.0.0.1:9999");
        assert_eq!(
            listen_address("medledger-chaincode.fabric.svc:7052"),
            "0.0.0.0:7052"
        );
    }

    #[test]
    fn medical_collections_parse_and_fit_the_default_channel() {
        let t = Topology::medical_default();
        let def = t
            .chaincodes
            .iter()
            .find(|c| c.name == MEDLEDGER_CHAINCODE)
            .unwrap();
        let json = collections_json(&t, def).unwrap().unwrap();
        assert_eq!(json, MEDLEDGER_COLLECTIONS_JSON);
    }
}
