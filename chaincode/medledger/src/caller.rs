//! [`Caller`]: who signed the proposal, as the rules see them — the organisation (MSP id and
//! its kind from the directory), the medical role (certificate attribute `role`), the licence
//! (`license_no`) and, for patients, the pseudonymous `patient_id`.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, LazyLock, Mutex};

use bytes::Bytes;

use fabric_chaincode::contract::Context;
use medledger_model::actor::{ATTR_LICENSE, ATTR_PATIENT_ID, ATTR_ROLE};
use medledger_model::{Actor, OrgKind, Patient, Role};

use crate::consortium::Consortium;
use crate::error::{MedError, MedResult};

/// The signer of the transaction.
#[derive(Debug, Clone)]
pub struct Caller {
    /// MSP id.
    pub msp_id: String,
    /// The organisation's kind, if it is in the directory.
    pub kind: Option<OrgKind>,
    /// The role attribute, if present and known.
    pub role: Option<Role>,
    /// The licence attribute.
    pub license: Option<String>,
    /// The patient id attribute.
    pub patient_id: Option<String>,
    /// The client identity (`cid.GetID`).
    pub client_id: String,
    /// The function being called (for messages).
    pub function: String,
}

/// What the rules read from a creator's certificate. A pure function of the serialized
/// identity's bytes, so it is parsed once per identity (see [`identity_of`]).
#[derive(Debug)]
struct CertFacts {
    msp_id: String,
    role: Option<Role>,
    license: Option<String>,
    patient_id: Option<String>,
    client_id: String,
}

/// Identities kept parsed; the cache starts over when it is full.
const IDENTITY_CACHE_SIZE: usize = 1024;

type IdentityCache = Mutex<HashMap<Bytes, Arc<CertFacts>>>;

static IDENTITIES: LazyLock<IdentityCache> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// The certificate facts of the proposal's creator: parsed from the certificate (PEM, X.509,
/// the Fabric CA attribute extension) the first time an identity calls, then kept by its
/// exact serialized bytes. Only successful parses are kept.
fn identity_of(ctx: &Context) -> MedResult<Arc<CertFacts>> {
    let creator = ctx.stub().creator()?;
    if let Some(facts) = IDENTITIES
        .lock()
        .ok()
        .and_then(|cache| cache.get(creator).cloned())
    {
        return Ok(facts);
    }
    let identity = ctx.client_identity()?;
    let attr = |name: &str| {
        identity
            .attribute_value(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let facts = Arc::new(CertFacts {
        msp_id: identity.msp_id().to_owned(),
        role: attr(ATTR_ROLE).and_then(|r| Role::parse(ATTR_ROLE, &r).ok()),
        license: attr(ATTR_LICENSE),
        patient_id: attr(ATTR_PATIENT_ID),
        client_id: identity.id(),
    });
    if let Ok(mut cache) = IDENTITIES.lock() {
        if cache.len() >= IDENTITY_CACHE_SIZE {
            cache.clear();
        }
        cache.insert(creator.clone(), Arc::clone(&facts));
    }
    Ok(facts)
}

impl Caller {
    /// Reads the caller from the proposal's creator.
    pub fn load(ctx: &Context, consortium: &Consortium) -> MedResult<Caller> {
        let facts = identity_of(ctx)?;
        Ok(Caller {
            kind: consortium.kind_of(&facts.msp_id),
            msp_id: facts.msp_id.clone(),
            role: facts.role,
            license: facts.license.clone(),
            patient_id: facts.patient_id.clone(),
            client_id: facts.client_id.clone(),
            function: ctx.function_name().to_owned(),
        })
    }

    /// The caller as recorded on the ledger. Patients are recorded by their pseudonym, never
    /// by their certificate subject (which may carry their name).
    pub fn actor(&self) -> MedResult<Actor> {
        let role = self
            .role
            .ok_or_else(|| self.forbidden("the caller has no medical role"))?;
        let id = match (role, &self.patient_id) {
            (Role::Patient, Some(p)) => p.clone(),
            (Role::Patient, None) => {
                return Err(self.forbidden("a patient identity needs the attribute patient_id"));
            }
            _ => self.client_id.clone(),
        };
        Ok(Actor {
            msp_id: self.msp_id.clone(),
            role,
            id,
        })
    }

    /// Whether the caller has one of `roles`.
    pub fn has_role(&self, roles: &[Role]) -> bool {
        self.role.is_some_and(|r| roles.contains(&r))
    }

    /// Whether the caller's organisation is of `kind`.
    pub fn is_kind(&self, kind: OrgKind) -> bool {
        self.kind == Some(kind)
    }

    /// Requires one of `roles` in an organisation of `kind`; the error states the rule.
    pub fn require(&self, roles: &[Role], kind: Option<OrgKind>) -> MedResult<()> {
        let kind_ok = kind.is_none_or(|k| self.is_kind(k));
        if self.has_role(roles) && kind_ok {
            return Ok(());
        }
        let whom = match kind {
            Some(k) => format!("{} of {}", roles_text(roles), article(k)),
            None => roles_text(roles),
        };
        Err(self.forbidden(format!("only {whom} may call it")))
    }

    /// Requires a licence attribute (doctors, pharmacists).
    pub fn require_license(&self) -> MedResult<&str> {
        self.license.as_deref().ok_or_else(|| {
            self.forbidden("a licence is required (certificate attribute license_no)")
        })
    }

    /// Whether the caller is this patient: role patient, attribute `patient_id` equal to the
    /// patient's id, and an identity issued by the patient's home hospital (another hospital
    /// cannot vouch for someone else's patient).
    pub fn is_patient(&self, patient: &Patient) -> bool {
        self.role == Some(Role::Patient)
            && self.patient_id.as_deref() == Some(patient.patient_id.as_str())
            && self.msp_id == patient.home_org
    }

    /// Whether the caller is staff of `org` with one of `roles`.
    pub fn is_staff_of(&self, org: &str, roles: &[Role]) -> bool {
        self.msp_id == org && self.has_role(roles)
    }

    /// A 403 naming the function, the rule and who the caller is.
    pub fn forbidden(&self, rule: impl fmt::Display) -> MedError {
        MedError::Forbidden(format!("{}: {rule} (caller: {self})", self.function))
    }
}

impl fmt::Display for Caller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.role {
            Some(r) => write!(f, "{r} of {}", self.msp_id),
            None => write!(f, "no role, of {}", self.msp_id),
        }
    }
}

fn roles_text(roles: &[Role]) -> String {
    let words: Vec<String> = roles
        .iter()
        .map(|r| {
            let article = if r.as_str().starts_with(['a', 'e', 'i', 'o', 'u']) {
                "an"
            } else {
                "a"
            };
            format!("{article} {r}")
        })
        .collect();
    match words.as_slice() {
        [] => "nobody".to_owned(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn article(kind: OrgKind) -> &'static str {
    match kind {
        OrgKind::Hospital => "a hospital",
        OrgKind::Insurer => "an insurer",
        OrgKind::Pharmacy => "a pharmacy",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_read_like_sentences() {
        assert_eq!(roles_text(&[Role::Clerk]), "a clerk");
        assert_eq!(roles_text(&[Role::Auditor]), "an auditor");
        assert_eq!(
            roles_text(&[Role::Clerk, Role::Doctor, Role::Nurse]),
            "a clerk, a doctor or a nurse"
        );
    }
}
