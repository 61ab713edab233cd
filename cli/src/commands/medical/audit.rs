//! `medledger history` and `medledger audit`.

use super::{connect, print_list, query_page};
use crate::cli::{AuditArgs, HistoryArgs};
use crate::context::Context;

/// `medledger history <asset type> <id>`.
pub fn history(ctx: &Context, args: &HistoryArgs) -> anyhow::Result<()> {
    ctx.block_on(async {
        let (_s, client) = connect(ctx, &args.target).await?;
        let entries = client.get_history(args.asset_type, &args.id).await?;
        print_list(
            ctx,
            &entries,
            &[
                ("transaction", "txid"),
                ("time", "timestamp"),
                ("status", "value.status"),
                ("deleted", "is_delete"),
            ],
            None,
        )
    })
}

/// `medledger audit <patient>`.
pub fn audit(ctx: &Context, args: &AuditArgs) -> anyhow::Result<()> {
    query_page(
        ctx,
        &args.patient.target,
        &[
            ("time", "recorded"),
            ("record", "record_id"),
            ("held_by", "record_org"),
            ("reader", "agent.msp_id"),
            ("role", "agent.role"),
            ("purpose", "purpose"),
            ("consent", "consent_id"),
            ("access", "access_id"),
        ],
        async |client| {
            client
                .list_access_log(
                    &args.patient.patient_id,
                    args.page.page_size,
                    &args.page.bookmark,
                )
                .await
        },
    )
}
