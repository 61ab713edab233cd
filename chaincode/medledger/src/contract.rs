//! The contract: every transaction function, its parameters, and the argument check that runs
//! before each of them.

use std::collections::BTreeMap;
use std::sync::Arc;

use fabric_chaincode::contract::{Context, Contract, ContractChaincode, Info};
use medledger_model::{
    AssetType, CertificateKind, ClaimOutcome, ClaimStatus, ConsentForm, ConsentPurpose,
    FhirResourceType, Period, PrescriptionStatus, RecordCategory, RevocationReason, Timestamp,
};

use crate::args::Arg;
use crate::consortium::Consortium;
use crate::error::{MedError, MedResult};
use crate::{Env, audit, certificates, claims, consents, patients, prescriptions, records};

/// The contract's name (the default contract: functions are called by their bare names).
pub const CONTRACT_NAME: &str = "MedLedger";

/// The chaincode's version in its metadata.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

type Table = BTreeMap<&'static str, &'static [&'static str]>;

/// Registers functions: `submit "Name" => path(param: Type, ...)`. Each closure hands the
/// shared environment to the module's function; the table keeps the parameter names for the
/// argument check.
macro_rules! functions {
    ($env:ident, $contract:ident, $table:ident;
     $( $kind:ident $name:literal => $f:path [ $($p:ident : $t:ty),* ] ; )+) => {
        $(
            let env = Arc::clone(&$env);
            $contract = $contract.$kind(
                $name,
                move |ctx: Context, $($p: $t),*| $f(Arc::clone(&env), ctx, $($p),*),
                [$(stringify!($p)),*],
            );
            $table.insert($name, &[$(stringify!($p)),*]);
        )+
    };
}

/// The medical contract chaincode for a consortium.
pub fn build(consortium: Consortium) -> fabric_chaincode::Result<ContractChaincode> {
    let env = Arc::new(Env { consortium });
    let mut contract = Contract::new(CONTRACT_NAME).info(Info::new(CONTRACT_NAME, VERSION));
    let mut table = Table::new();
    functions! { env, contract, table;
        submit "StorePatientDemographics" => patients::store_demographics [patient_id: String];
        submit "RegisterPatient" => patients::register [patient_id: String, demographics_hash: String];
        evaluate "GetPatient" => patients::get [patient_id: String];
        submit "ErasePatient" => patients::erase [patient_id: String];

        submit "GrantConsent" => consents::grant [
            consent_id: String, patient_id: String, grantee: String,
            purpose: Arg<ConsentPurpose>, scopes: Arg<Vec<RecordCategory>>, period: Arg<Period>,
            document_hash: String
        ];
        submit "StoreConsentForm" => consents::store_form [
            consent_id: String, patient_id: String, form: Arg<ConsentForm>
        ];
        submit "RevokeConsent" => consents::revoke [consent_id: String, document_hash: String];
        evaluate "ListConsents" => consents::list [patient_id: String];
        evaluate "CheckConsent" => consents::check [
            patient_id: String, grantee: String, purpose: Arg<ConsentPurpose>,
            category: Arg<Option<RecordCategory>>
        ];

        submit "StoreRecordContent" => records::store_content [
            record_id: String, patient_id: String, content_hash: String
        ];
        submit "AddRecord" => records::add [
            record_id: String, patient_id: String, category: Arg<RecordCategory>,
            resource_type: Arg<FhirResourceType>, content_hash: String, location: String,
            content_on_ledger: Arg<Option<bool>>
        ];
        evaluate "GetRecord" => records::get [record_id: String];
        submit "AccessRecord" => records::access [record_id: String, purpose: Arg<ConsentPurpose>];

        submit "IssuePrescription" => prescriptions::issue [
            prescription_id: String, patient_id: String, validity_days: Arg<Option<u32>>
        ];
        evaluate "GetPrescription" => prescriptions::get [prescription_id: String];
        submit "DispensePrescription" => prescriptions::dispense [prescription_id: String];
        submit "ConfirmDelivery" => prescriptions::confirm_delivery [prescription_id: String];
        submit "CancelPrescription" => prescriptions::cancel [prescription_id: String];
        evaluate "ListPrescriptions" => prescriptions::list [
            patient_id: String, status: Arg<Option<PrescriptionStatus>>, page_size: Arg<u32>,
            bookmark: String
        ];

        submit "SubmitClaim" => claims::submit [
            claim_id: String, patient_id: String, insurer: String, encounter_ids: Arg<Vec<String>>
        ];
        submit "AdjudicateClaim" => claims::adjudicate [claim_id: String, outcome: Arg<ClaimOutcome>];
        submit "PayClaim" => claims::pay [claim_id: String];
        evaluate "GetClaim" => claims::get [claim_id: String];
        evaluate "ListClaims" => claims::list [
            provider: String, insurer: String, status: Arg<Option<ClaimStatus>>,
            page_size: Arg<u32>, bookmark: String
        ];

        submit "IssueCertificate" => certificates::issue [
            certificate_id: String, patient_id: String, kind: Arg<CertificateKind>,
            document_hash: String, valid_until: Arg<Option<Timestamp>>
        ];
        evaluate "VerifyCertificate" => certificates::verify [certificate_id: String, document_hash: String];
        submit "RevokeCertificate" => certificates::revoke [
            certificate_id: String, reason: Arg<RevocationReason>
        ];
        evaluate "GetCertificate" => certificates::get [certificate_id: String];

        evaluate "GetHistory" => audit::history [asset_type: Arg<AssetType>, id: String];
        evaluate "ListAccessLog" => audit::access_log [
            patient_id: String, page_size: Arg<u32>, bookmark: String
        ];
    }
    let table = Arc::new(table);
    let contract = contract.before(move |ctx: Context| {
        let table = Arc::clone(&table);
        async move { check_arguments(&table, &ctx) }
    });
    ContractChaincode::builder()
        .info(Info::new("medledger", VERSION))
        .contract(contract)
        .default_contract(CONTRACT_NAME)
        .build()
}

/// The names of every transaction function, sorted.
pub fn function_names() -> Vec<&'static str> {
    let mut names = vec![
        "StorePatientDemographics",
        "RegisterPatient",
        "GetPatient",
        "ErasePatient",
        "StoreConsentForm",
        "GrantConsent",
        "RevokeConsent",
        "ListConsents",
        "CheckConsent",
        "StoreRecordContent",
        "AddRecord",
        "GetRecord",
        "AccessRecord",
        "IssuePrescription",
        "GetPrescription",
        "DispensePrescription",
        "ConfirmDelivery",
        "CancelPrescription",
        "ListPrescriptions",
        "SubmitClaim",
        "AdjudicateClaim",
        "PayClaim",
        "GetClaim",
        "ListClaims",
        "IssueCertificate",
        "VerifyCertificate",
        "RevokeCertificate",
        "GetCertificate",
        "GetHistory",
        "ListAccessLog",
    ];
    names.sort_unstable();
    names
}

/// A wrong argument count or an argument that is not UTF-8 is the client's fault: 400 naming
/// the parameters (the contract API would answer 500).
fn check_arguments(table: &Table, ctx: &Context) -> MedResult<()> {
    let Some(params) = table.get(ctx.function_name()) else {
        return Ok(()); // unknown functions: the router answers
    };
    let args = ctx.stub().parameters();
    if args.len() != params.len() {
        return Err(MedError::bad_input(
            "arguments",
            format!(
                "{} takes {} arguments ({}), got {}",
                ctx.function_name(),
                params.len(),
                params.join(", "),
                args.len()
            ),
        ));
    }
    for (arg, name) in args.iter().zip(params.iter()) {
        if std::str::from_utf8(arg).is_err() {
            return Err(MedError::bad_input(*name, "not valid UTF-8"));
        }
    }
    Ok(())
}
