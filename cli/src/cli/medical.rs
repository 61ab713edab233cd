//! The medical commands' arguments: `patient`, `consent`, `record`, `rx`, `claim`, `cert`,
//! `history`, `audit`. Each flag that recurs is defined once in a shared `Args` struct and
//! flattened ([`Target`], [`PageArgs`], [`IdArg`]). Enum values are the contract's wire words
//! (`treatment`, `lab`, `issued`…), parsed by the model's own parsers.

use clap::{Args, Subcommand};
use medledger_model::{
    AssetType, CertificateKind, ClaimOutcome, ClaimStatus, ConsentPurpose, FhirResourceType,
    PrescriptionStatus, RecordCategory, RevocationReason,
};
use std::path::PathBuf;

/// The chaincode the medical commands call.
#[derive(Debug, Clone, Args)]
pub struct Target {
    /// The medical chaincode's name on the profile's channel.
    #[arg(long, env = "MEDLEDGER_CHAINCODE", default_value = "medledger")]
    pub chaincode: String,
}

/// One page of a list.
#[derive(Debug, Clone, Args)]
pub struct PageArgs {
    /// Items per page (1-100).
    #[arg(long, default_value_t = 20)]
    pub page_size: u32,
    /// The bookmark a previous page printed (default: the first page).
    #[arg(long, default_value = "")]
    pub bookmark: String,
}

/// An asset's id, when the command names one asset.
#[derive(Debug, Clone, Args)]
pub struct IdArg {
    /// The asset's id.
    pub id: String,
    #[command(flatten)]
    pub target: Target,
}

/// A patient's pseudonymous id.
#[derive(Debug, Clone, Args)]
pub struct PatientArg {
    /// The patient's pseudonymous id (e.g. P-SMC-000001; never a resident registration number).
    pub patient_id: String,
    #[command(flatten)]
    pub target: Target,
}

/// What a consent (or an access under it) is for.
#[derive(Debug, Clone, Args)]
pub struct PurposeArg {
    /// treatment, insurance_claim or research.
    #[arg(long)]
    pub purpose: ConsentPurpose,
}

/// A creating command's optional id (derived from the transaction id when absent).
#[derive(Debug, Clone, Args)]
pub struct NewIdArg {
    /// The new asset's id (default: derived from the transaction id, e.g. RX-<32 hex>).
    #[arg(long)]
    pub id: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PatientCommand {
    /// Register a patient at the caller's hospital (a clerk or doctor); the demographics go
    /// only through the transient map into the hospital's private collection.
    ///
    /// Give the demographics with flags, or as a JSON file (keeps them out of the shell's
    /// history): {"name": {"family", "given": [..]}, "birth_date": "YYYY-MM-DD", "gender":
    /// "male|female|other|unknown", "telecom"?, "address"?: {"line": [..], "city",
    /// "postal_code"}}.
    #[command(after_help = "Examples:\n  \
        medledger --profile seoulmedical-clerk1 patient register P-SMC-000001 \\\n      \
        --family 김 --given 민준 --birth-date 1980-03-14 --gender male\n  \
        medledger --profile seoulmedical-clerk1 patient register P-SMC-000002 --demographics-file patient.json")]
    Register(Box<PatientRegisterArgs>),
    /// Show a patient: the public record; the demographics for the patient and the home
    /// hospital's doctors, nurses and clerks.
    #[command(after_help = "Examples:\n  \
        medledger --profile seoulmedical-doctor1 patient get P-SMC-000001\n  \
        medledger --profile myongji-doctor1 patient get P-SMC-000001 --output json")]
    Get(PatientArg),
    /// Erase a patient (a clerk of the home hospital): purge every private copy the hospital
    /// wrote and mark the patient erased; prints the erasure receipt.
    #[command(
        after_help = "Example:\n  medledger --profile seoulmedical-clerk1 patient erase P-SMC-000001"
    )]
    Erase(PatientArg),
}

#[derive(Debug, Args)]
pub struct PatientRegisterArgs {
    #[command(flatten)]
    pub patient: PatientArg,
    /// A JSON file with the demographics (instead of the flags below).
    #[arg(long, conflicts_with_all = ["family", "given", "birth_date", "gender", "telecom", "address_line", "city", "postal_code"], required_unless_present_all = ["family", "birth_date", "gender"])]
    pub demographics_file: Option<PathBuf>,
    /// Family name.
    #[arg(long)]
    pub family: Option<String>,
    /// Given name (repeatable).
    #[arg(long)]
    pub given: Vec<String>,
    /// Birth date, YYYY-MM-DD.
    #[arg(long)]
    pub birth_date: Option<String>,
    /// male, female, other or unknown.
    #[arg(long)]
    pub gender: Option<String>,
    /// Phone number.
    #[arg(long)]
    pub telecom: Option<String>,
    /// Address line (repeatable; with --city and --postal-code).
    #[arg(long, requires_all = ["city", "postal_code"])]
    pub address_line: Vec<String>,
    /// City.
    #[arg(long, requires = "address_line")]
    pub city: Option<String>,
    /// Postal code.
    #[arg(long, requires = "address_line")]
    pub postal_code: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ConsentCommand {
    /// Grant a consent: the patient themself, or a hospital clerk recording a signed paper
    /// form (--form: hashed here with a fresh salt; the hash goes to the hospital's private
    /// collection). insurance_claim → an insurer, treatment → a hospital or pharmacy,
    /// research → a hospital.
    #[command(after_help = "Examples:\n  \
        medledger --profile seoulmedical-patient1 consent grant P-SMC-000001 \\\n      \
        --to MyongjiHospitalMSP --purpose treatment --scope lab --scope imaging --days 365\n  \
        medledger --profile seoulmedical-clerk1 consent grant P-SMC-000001 \\\n      \
        --to PharmacyMSP --purpose treatment --scope medication --form signed-form.pdf")]
    Grant(ConsentGrantArgs),
    /// Revoke an active consent (the same callers as grant; clerks give the signed
    /// revocation with --form).
    #[command(after_help = "Examples:\n  \
        medledger --profile seoulmedical-patient1 consent revoke CON-MJH-1\n  \
        medledger --profile seoulmedical-clerk1 consent revoke CON-1A2B --form revocation.pdf")]
    Revoke(ConsentRevokeArgs),
    /// List a patient's consents (all of them for the patient, the home hospital and
    /// auditors; those given to the caller's organisation for others).
    #[command(after_help = "Examples:\n  \
        medledger --profile seoulmedical-patient1 consent list P-SMC-000001\n  \
        medledger --profile nhis-claimsofficer1 consent list P-SMC-000001 --output json")]
    List(PatientArg),
    /// Whether a consent is in force now for an organisation, a purpose and a category.
    #[command(after_help = "Example:\n  \
        medledger --profile myongji-doctor1 consent check P-SMC-000001 \\\n      \
        --org MyongjiHospitalMSP --purpose treatment --category lab")]
    Check(ConsentCheckArgs),
}

/// A clerk's signed paper form.
#[derive(Debug, Clone, Args)]
pub struct FormArg {
    /// The signed paper form (any file): its salted hash is recorded (clerks must give it).
    #[arg(long)]
    pub form: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ConsentGrantArgs {
    #[command(flatten)]
    pub patient: PatientArg,
    #[command(flatten)]
    pub new_id: NewIdArg,
    /// The organisation (MSP id) the consent is given to.
    #[arg(long = "to", value_name = "MSP")]
    pub grantee: String,
    #[command(flatten)]
    pub purpose: PurposeArg,
    /// A record category covered (repeatable): encounter, diagnosis, lab, imaging,
    /// medication, discharge, vaccination.
    #[arg(long = "scope", required = true, value_name = "CATEGORY")]
    pub scopes: Vec<RecordCategory>,
    /// Start, YYYY-MM-DDTHH:MM:SSZ (default: now).
    #[arg(long)]
    pub from: Option<String>,
    /// End, YYYY-MM-DDTHH:MM:SSZ (default: open-ended, or --days).
    #[arg(long, conflicts_with = "days")]
    pub until: Option<String>,
    /// In force for this many days from the start.
    #[arg(long)]
    pub days: Option<u32>,
    #[command(flatten)]
    pub form: FormArg,
}

#[derive(Debug, Args)]
pub struct ConsentRevokeArgs {
    #[command(flatten)]
    pub consent: IdArg,
    #[command(flatten)]
    pub form: FormArg,
}

/// The consent that is checked: organisation, purpose, category.
#[derive(Debug, Args)]
pub struct ConsentCheckArgs {
    #[command(flatten)]
    pub patient: PatientArg,
    /// The organisation (MSP id) that would read.
    #[arg(long, value_name = "MSP")]
    pub org: String,
    #[command(flatten)]
    pub purpose: PurposeArg,
    /// The record category (default: any).
    #[arg(long)]
    pub category: Option<RecordCategory>,
}

#[derive(Debug, Subcommand)]
pub enum RecordCommand {
    /// Record a medical document (a doctor or nurse of a hospital): its metadata and salted
    /// hash publicly; with --content its text also goes (transient) into the hospital's
    /// private collection. With --document it stays off the ledger: keep the printed salt
    /// with it so readers can check it.
    #[command(after_help = "Examples:\n  \
        medledger --profile seoulmedical-doctor1 record add P-SMC-000001 --id REC-LAB-1 \\\n      \
        --category lab --resource-type Observation --content lab.json \\\n      \
        --location https://ehr.seoulmedical.example.com/fhir/Observation/REC-LAB-1\n  \
        medledger --profile seoulmedical-nurse1 record add P-SMC-000001 --category encounter \\\n      \
        --resource-type Encounter --document visit.json --location urn:smc:encounter:2026-0001")]
    Add(RecordAddArgs),
    /// Show a record's metadata (and its content when on the ledger and readable here).
    #[command(
        after_help = "Example:\n  medledger --profile seoulmedical-doctor1 record get REC-LAB-1"
    )]
    Get(IdArg),
    /// Read another hospital's record for a purpose: the consent is checked, the access is
    /// logged (see `medledger audit`), and the location and salted hash are returned.
    #[command(after_help = "Example:\n  \
        medledger --profile myongji-doctor1 record access REC-LAB-1 --purpose treatment")]
    Access(RecordAccessArgs),
}

#[derive(Debug, Args)]
pub struct RecordAddArgs {
    #[command(flatten)]
    pub patient: PatientArg,
    #[command(flatten)]
    pub new_id: NewIdArg,
    /// encounter, diagnosis, lab, imaging, medication, discharge or vaccination.
    #[arg(long)]
    pub category: RecordCategory,
    /// The FHIR R4 resource type (Observation, Encounter, DiagnosticReport, …).
    #[arg(long)]
    pub resource_type: FhirResourceType,
    /// Where the document can be fetched: an https URL or a urn (no query string).
    #[arg(long)]
    pub location: String,
    /// The FHIR document (UTF-8 JSON, ≤ 1 MiB) to keep on the ledger.
    #[arg(
        long,
        conflicts_with = "document",
        required_unless_present = "document"
    )]
    pub content: Option<PathBuf>,
    /// A document kept off the ledger (only its salted hash is recorded).
    #[arg(long)]
    pub document: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RecordAccessArgs {
    #[command(flatten)]
    pub record: IdArg,
    #[command(flatten)]
    pub purpose: PurposeArg,
}

#[derive(Debug, Subcommand)]
pub enum RxCommand {
    /// Issue a prescription (a licensed doctor of a hospital). The content goes only through
    /// the transient map into the Prescriptions collection; the ledger keeps its salted hash.
    ///
    /// --medication takes comma-separated key=value pairs: code (9-digit EDI code), name,
    /// dose, frequency (per day), days, route (oral, topical, injection, …; default oral).
    #[command(after_help = "Examples:\n  \
        medledger --profile seoulmedical-doctor1 rx issue P-SMC-000001 --id RX-1 \\\n      \
        --medication 'code=642102570,name=Amoxicillin 500mg,dose=1 capsule,frequency=3,days=5' \\\n      \
        --notes 'after meals'\n  \
        medledger --profile seoulmedical-doctor1 rx issue P-SMC-000001 --file rx.json --validity-days 7")]
    Issue(RxIssueArgs),
    /// Show a prescription (the content for the patient, the prescriber's staff and
    /// pharmacists).
    #[command(after_help = "Example:\n  medledger --profile pharmacy-pharmacist1 rx get RX-1")]
    Get(IdArg),
    /// Dispense an issued, unexpired prescription (a licensed pharmacist), once.
    #[command(after_help = "Example:\n  medledger --profile pharmacy-pharmacist1 rx dispense RX-1")]
    Dispense(IdArg),
    /// Confirm the delivery of a dispensed prescription (the patient, or the dispensing
    /// pharmacy's pharmacist or clerk).
    #[command(after_help = "Example:\n  medledger --profile pharmacy-clerk1 rx deliver RX-1")]
    Deliver(IdArg),
    /// Cancel an issued prescription (the prescribing doctor).
    #[command(after_help = "Example:\n  medledger --profile seoulmedical-doctor1 rx cancel RX-2")]
    Cancel(IdArg),
    /// List prescriptions: a patient's (--patient), or the caller's organisation's in a
    /// status (--status required then).
    #[command(after_help = "Examples:\n  \
        medledger --profile seoulmedical-patient1 rx list --patient P-SMC-000001\n  \
        medledger --profile pharmacy-pharmacist1 rx list --status dispensed --output json")]
    List(RxListArgs),
}

#[derive(Debug, Args)]
pub struct RxIssueArgs {
    #[command(flatten)]
    pub patient: PatientArg,
    #[command(flatten)]
    pub new_id: NewIdArg,
    /// A medication (repeatable): code=…,name=…,dose=…,frequency=…,days=…[,route=…].
    #[arg(
        long = "medication",
        value_name = "KEY=VALUE,...",
        required_unless_present = "file",
        conflicts_with = "file"
    )]
    pub medications: Vec<String>,
    /// Notes for the pharmacist (private).
    #[arg(long, conflicts_with = "file")]
    pub notes: Option<String>,
    /// A JSON file with the prescription: {"medications": [{code, name, dose, frequency,
    /// days, route}], "notes"?}.
    #[arg(long)]
    pub file: Option<PathBuf>,
    /// Days it can be dispensed (1-90; default 3).
    #[arg(long)]
    pub validity_days: Option<u32>,
}

#[derive(Debug, Args)]
pub struct RxListArgs {
    /// The patient whose prescriptions to list.
    #[arg(long)]
    pub patient: Option<String>,
    /// Only this status: issued, dispensed, delivered, cancelled.
    #[arg(long, required_unless_present = "patient")]
    pub status: Option<PrescriptionStatus>,
    #[command(flatten)]
    pub page: PageArgs,
    #[command(flatten)]
    pub target: Target,
}

#[derive(Debug, Subcommand)]
pub enum ClaimCommand {
    /// Submit an insurance claim (a hospital clerk; the patient's insurance_claim consent for
    /// the insurer must be in force). The details go only through the transient map.
    ///
    /// --item takes comma-separated key=value pairs: code (fee code), quantity, unit_price
    /// (KRW); the amounts and the total are computed.
    #[command(after_help = "Examples:\n  \
        medledger --profile seoulmedical-clerk1 claim submit P-SMC-000001 --id CLM-1 \\\n      \
        --insurer NHISMSP --encounter REC-ENC-1 --diagnosis J20.9 \\\n      \
        --item code=AA157,quantity=1,unit_price=17610 --item code=B1010,quantity=2,unit_price=3000\n  \
        medledger --profile seoulmedical-clerk1 claim submit P-SMC-000001 --insurer NHISMSP \\\n      \
        --encounter REC-ENC-1 --file claim.json")]
    Submit(ClaimSubmitArgs),
    /// Decide a submitted claim (a claims officer of its insurer).
    #[command(after_help = "Examples:\n  \
        medledger --profile nhis-claimsofficer1 claim adjudicate CLM-1 --outcome approved \\\n      \
        --insurer-amount 16527 --patient-share 7083\n  \
        medledger --profile nhis-claimsofficer1 claim adjudicate CLM-2 --outcome rejected \\\n      \
        --insurer-amount 0 --patient-share 23610 --reason R-DUP")]
    Adjudicate(ClaimAdjudicateArgs),
    /// Record the payment of an approved claim (a claims officer of its insurer).
    #[command(after_help = "Example:\n  \
        medledger --profile nhis-claimsofficer1 claim pay CLM-1 --reference PAY-2026-000042")]
    Pay(ClaimPayArgs),
    /// Show a claim (details, decision and payment for the provider's and insurer's staff and
    /// the patient).
    #[command(after_help = "Example:\n  medledger --profile seoulmedical-clerk1 claim get CLM-1")]
    Get(IdArg),
    /// List claims of a provider and/or an insurer.
    #[command(after_help = "Examples:\n  \
        medledger --profile nhis-claimsofficer1 claim list --insurer NHISMSP --status submitted\n  \
        medledger --profile seoulmedical-clerk1 claim list --provider SeoulMedicalCenterMSP --output json")]
    List(ClaimListArgs),
}

#[derive(Debug, Args)]
pub struct ClaimSubmitArgs {
    #[command(flatten)]
    pub patient: PatientArg,
    #[command(flatten)]
    pub new_id: NewIdArg,
    /// The insurer (MSP id).
    #[arg(long, value_name = "MSP")]
    pub insurer: String,
    /// An encounter record claimed (repeatable).
    #[arg(long = "encounter", required = true, value_name = "RECORD_ID")]
    pub encounters: Vec<String>,
    /// A KCD-8 diagnosis code (repeatable).
    #[arg(
        long = "diagnosis",
        value_name = "CODE",
        required_unless_present = "file",
        conflicts_with = "file"
    )]
    pub diagnoses: Vec<String>,
    /// A billed item (repeatable): code=…,quantity=…,unit_price=….
    #[arg(
        long = "item",
        value_name = "KEY=VALUE,...",
        required_unless_present = "file",
        conflicts_with = "file"
    )]
    pub items: Vec<String>,
    /// A JSON file with the details: {"diagnosis_codes": [..], "items": [{code, quantity,
    /// unit_price, amount}], "total"}.
    #[arg(long)]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ClaimAdjudicateArgs {
    #[command(flatten)]
    pub claim: IdArg,
    /// approved, partially_approved or rejected.
    #[arg(long)]
    pub outcome: ClaimOutcome,
    /// What the insurer pays (KRW).
    #[arg(long)]
    pub insurer_amount: u64,
    /// What the patient pays (KRW).
    #[arg(long)]
    pub patient_share: u64,
    /// A reason code (repeatable; required unless approved).
    #[arg(long = "reason", value_name = "CODE")]
    pub reasons: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ClaimPayArgs {
    #[command(flatten)]
    pub claim: IdArg,
    /// The payment's reference (a transfer id; private to the hospital and the insurer).
    #[arg(long)]
    pub reference: String,
}

#[derive(Debug, Args)]
pub struct ClaimListArgs {
    /// The provider hospital (MSP id).
    #[arg(long, value_name = "MSP", required_unless_present = "insurer")]
    pub provider: Option<String>,
    /// The insurer (MSP id).
    #[arg(long, value_name = "MSP")]
    pub insurer: Option<String>,
    /// Only this status: submitted, approved, partially_approved, rejected, paid.
    #[arg(long)]
    pub status: Option<ClaimStatus>,
    #[command(flatten)]
    pub page: PageArgs,
    #[command(flatten)]
    pub target: Target,
}

#[derive(Debug, Subcommand)]
pub enum CertCommand {
    /// Issue a certificate for a document (a licensed doctor of a hospital): the file is
    /// hashed here with a fresh salt and only the hash is recorded. Keep the printed salt
    /// with the document (print it on it): verifiers need both.
    #[command(after_help = "Examples:\n  \
        medledger --profile seoulmedical-doctor1 cert issue P-SMC-000001 --id CERT-1 \\\n      \
        --kind diagnosis --file certificate.pdf\n  \
        medledger --profile seoulmedical-doctor1 cert issue P-SMC-000001 --kind opinion \\\n      \
        --file opinion.pdf --valid-until 2027-01-01T00:00:00Z --output json")]
    Issue(CertIssueArgs),
    /// Verify a document against the ledger: the file is hashed here with its salt; one word
    /// back: valid, revoked, expired, unknown or hash_mismatch. Any consortium identity.
    /// Exits 0 when valid, 1 otherwise.
    #[command(after_help = "Examples:\n  \
        medledger --profile nhis-claimsofficer1 cert verify CERT-1 --file certificate.pdf --salt <64 hex>\n  \
        medledger --profile nhis-claimsofficer1 cert verify CERT-1 --hash <64 hex>")]
    Verify(CertVerifyArgs),
    /// Revoke a valid certificate (a doctor or clerk of the issuing hospital).
    #[command(after_help = "Example:\n  \
        medledger --profile seoulmedical-doctor1 cert revoke CERT-1 --reason issued_in_error")]
    Revoke(CertRevokeArgs),
    /// Show a certificate's public record (the issuing hospital's staff, the patient,
    /// auditors).
    #[command(after_help = "Example:\n  medledger --profile seoulmedical-doctor1 cert get CERT-1")]
    Get(IdArg),
}

#[derive(Debug, Args)]
pub struct CertIssueArgs {
    #[command(flatten)]
    pub patient: PatientArg,
    #[command(flatten)]
    pub new_id: NewIdArg,
    /// diagnosis, opinion, admission_discharge, fee_receipt or vaccination.
    #[arg(long)]
    pub kind: CertificateKind,
    /// The certificate document (any file).
    #[arg(long)]
    pub file: PathBuf,
    /// Valid until, YYYY-MM-DDTHH:MM:SSZ (default: no end).
    #[arg(long)]
    pub valid_until: Option<String>,
}

#[derive(Debug, Args)]
pub struct CertVerifyArgs {
    #[command(flatten)]
    pub cert: IdArg,
    /// The document to check.
    #[arg(long, requires = "salt", required_unless_present = "hash")]
    pub file: Option<PathBuf>,
    /// The salt given with the document (64 hex digits).
    #[arg(long)]
    pub salt: Option<String>,
    /// The document's salted hash, computed elsewhere (64 hex digits).
    #[arg(long, conflicts_with_all = ["file", "salt"])]
    pub hash: Option<String>,
}

#[derive(Debug, Args)]
pub struct CertRevokeArgs {
    #[command(flatten)]
    pub cert: IdArg,
    /// issued_in_error, superseded, patient_request or fraud.
    #[arg(long)]
    pub reason: RevocationReason,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The asset type: patient, consent, record, prescription (or rx), claim, certificate
    /// (or cert).
    #[arg(value_parser = parse_asset_type)]
    pub asset_type: AssetType,
    /// The asset's id.
    pub id: String,
    #[command(flatten)]
    pub target: Target,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub patient: PatientArg,
    #[command(flatten)]
    pub page: PageArgs,
}

/// `prescription`, `Prescription` or `rx`.
fn parse_asset_type(text: &str) -> Result<AssetType, String> {
    let lower = text.to_ascii_lowercase();
    let word = match lower.as_str() {
        "rx" => "prescription",
        "cert" => "certificate",
        other => other,
    };
    AssetType::ALL
        .iter()
        .copied()
        .find(|t| t.as_str().eq_ignore_ascii_case(word))
        .ok_or_else(|| {
            format!("unknown asset type {text:?} (expected patient, consent, record, prescription, claim or certificate)")
        })
}
