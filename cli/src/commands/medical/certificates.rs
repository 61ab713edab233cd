//! `medledger cert issue|verify|revoke|get`: documents are hashed here, with a salt, and only
//! the hash goes to the ledger.

use super::{connect, parse_time, print_value, query, read_file, transact};
use crate::cli::{CertIssueArgs, CertRevokeArgs, CertVerifyArgs, IdArg, OutputFormat};
use crate::context::Context;
use crate::exit::{Exit, Failure};
use medledger_model::{Commitment, Salt, VerificationResult, commit};
use medledger_sdk::SaltedDocument;

/// `medledger cert issue`.
pub fn issue(ctx: &Context, args: &CertIssueArgs) -> anyhow::Result<()> {
    let document = read_file(&args.file, "certificate document")?;
    let sealed = SaltedDocument::new(&document)?;
    let valid_until = args
        .valid_until
        .as_deref()
        .map(|t| parse_time("valid-until", t))
        .transpose()?;
    transact(
        ctx,
        &args.patient.target,
        "issuing the certificate",
        "Certificate issued (give the salt with the document: verifiers need it)",
        vec![("salt", sealed.salt.to_hex().into())],
        async |client| {
            client
                .issue_certificate(
                    args.new_id.id.as_deref(),
                    &args.patient.patient_id,
                    args.kind,
                    &sealed,
                    valid_until,
                )
                .await
        },
    )
}

/// `medledger cert verify`: exit 0 only for `valid`.
pub fn verify(ctx: &Context, args: &CertVerifyArgs) -> anyhow::Result<()> {
    let usage = |m: String| Failure::new(Exit::Usage, m);
    let hash = match (&args.file, &args.salt, &args.hash) {
        (Some(path), Some(salt), _) => {
            let salt =
                Salt::from_hex("salt", salt).map_err(|e| usage(format!("--salt: {}", e.reason)))?;
            commit(&salt, &read_file(path, "document")?)
        }
        (_, _, Some(hex)) => {
            Commitment::from_hex("hash", hex).map_err(|e| usage(format!("--hash: {}", e.reason)))?
        }
        _ => return Err(usage("give --file and --salt, or --hash".into()).into()),
    };
    ctx.block_on(async {
        let (_s, client) = connect(ctx, &args.cert.target).await?;
        let verdict = client.verify_certificate_hash(&args.cert.id, &hash).await?;
        if verdict.result == VerificationResult::Valid {
            return print_value(ctx, &format!("Certificate {}", args.cert.id), &verdict);
        }
        if ctx.output == OutputFormat::Table {
            print_value(ctx, &format!("Certificate {}", args.cert.id), &verdict)?;
        }
        let hint = match verdict.result {
            VerificationResult::HashMismatch => {
                "the document (hashed with this salt) is not the one issued: it was changed, or \
                 the salt is not the one given with it"
            }
            VerificationResult::Unknown => "no certificate has this id: check it",
            VerificationResult::Revoked => "the issuing hospital revoked it",
            _ => "it is past its validity",
        };
        Err(Failure::new(
            Exit::Failure,
            format!(
                "certificate {} is not valid: {}",
                args.cert.id, verdict.result
            ),
        )
        .hint(hint)
        .into())
    })
}

/// `medledger cert revoke`.
pub fn revoke(ctx: &Context, args: &CertRevokeArgs) -> anyhow::Result<()> {
    transact(
        ctx,
        &args.cert.target,
        "revoking the certificate",
        "Certificate revoked",
        vec![],
        async |client| client.revoke_certificate(&args.cert.id, args.reason).await,
    )
}

/// `medledger cert get`.
pub fn get(ctx: &Context, args: &IdArg) -> anyhow::Result<()> {
    query(
        ctx,
        &args.target,
        &format!("Certificate {}", args.id),
        async |client| client.get_certificate(&args.id).await,
    )
}
