//! The contract API: routing, the default contract, hooks, argument decoding and its errors,
//! result encoding, status mapping, definition checks and metadata.

mod contract_support;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use contract_support::{
    bare_stub, check_golden, evaluate, metadata_shape_problems, recorded_proposal, user,
};
use fabric_chaincode::contract::{
    Context, Contract, ContractChaincode, ContractError, DEFAULT_INIT_MESSAGE, Info, JsonSchema,
};
use fabric_chaincode::testing::{TestLedger, TxOutcome};
use fabric_chaincode::{Chaincode, Error};
use proptest::prelude::Strategy as _;
use serde::{Deserialize, Serialize};

/// A stored item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
struct Item {
    /// What it is.
    name: String,
    /// How many.
    count: u32,
    tags: Vec<String>,
    note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
enum Color {
    Red,
    Green,
}

async fn put(ctx: Context, key: String, item: Item) -> Result<(), ContractError> {
    ctx.put_json(&key, &item).await
}

async fn get(ctx: Context, key: String) -> Result<Item, ContractError> {
    ctx.get_json(&key)
        .await?
        .ok_or_else(|| ContractError::client(format!("no item {key}")).status_code(404))
}

async fn fail(_ctx: Context, status: i32) -> Result<(), ContractError> {
    Err(ContractError::with_status(
        status,
        format!("failed with {status}"),
    ))
}

async fn io_error(_ctx: Context) -> Result<String, std::io::Error> {
    Err(std::io::Error::other("disk on fire"))
}

async fn shim_error(ctx: Context) -> Result<(), ContractError> {
    ctx.stub().get_state("").await?;
    Ok(())
}

async fn add(_ctx: Context, a: i64, b: i64) -> Result<i64, ContractError> {
    a.checked_add(b)
        .ok_or_else(|| ContractError::client("the sum overflows"))
}

#[allow(clippy::too_many_arguments)]
async fn sum10(
    _ctx: Context,
    a: u8,
    b: u8,
    c: u8,
    d: u8,
    e: u8,
    f: u8,
    g: u8,
    h: u8,
    i: u8,
    j: u8,
) -> Result<u32, ContractError> {
    Ok([a, b, c, d, e, f, g, h, i, j]
        .iter()
        .map(|&x| u32::from(x))
        .sum())
}

async fn echo(_ctx: Context, text: String) -> Result<String, ContractError> {
    Ok(text)
}

async fn maybe(_ctx: Context, value: Option<u32>) -> Result<Option<u32>, ContractError> {
    Ok(value.map(|v| v * 2))
}

async fn paint(_ctx: Context, color: Color) -> Result<Color, ContractError> {
    Ok(match color {
        Color::Red => Color::Green,
        Color::Green => Color::Red,
    })
}

async fn lengths(
    _ctx: Context,
    names: Vec<String>,
) -> Result<BTreeMap<String, usize>, ContractError> {
    Ok(names.into_iter().map(|n| (n.clone(), n.len())).collect())
}

async fn whoami(ctx: Context) -> Result<String, ContractError> {
    let seconds = ctx.tx_timestamp()?.seconds;
    Ok(format!("{} {} {seconds}", ctx.client_msp_id()?, ctx.txid()))
}

async fn names(ctx: Context) -> Result<String, ContractError> {
    Ok(format!("{}/{}", ctx.contract_name(), ctx.function_name()))
}

type Log = Arc<Mutex<Vec<String>>>;

fn store(log: &Log) -> Contract {
    let before_log = log.clone();
    let after_log = log.clone();
    Contract::new("Store")
        .info(Info::new("Item store", "1.2.3").description("Stores items"))
        .submit("Put", put, ["key", "item"])
        .evaluate("Get", get, ["key"])
        .submit("Fail", fail, ["status"])
        .evaluate("Io", io_error, [])
        .evaluate("Shim", shim_error, [])
        .evaluate("Forbidden", names, [])
        .before(move |ctx: Context| {
            let log = before_log.clone();
            async move {
                log.lock()
                    .unwrap()
                    .push(format!("before {}", ctx.function_name()));
                if ctx.function_name() == "Forbidden" {
                    return Err(ContractError::with_status(403, "not for you"));
                }
                Ok::<(), ContractError>(())
            }
        })
        .after(move |ctx: Context, payload: Bytes| {
            let log = after_log.clone();
            async move {
                let text = String::from_utf8_lossy(&payload).into_owned();
                log.lock()
                    .unwrap()
                    .push(format!("after {} {text}", ctx.function_name()));
                if text.contains("veto") {
                    return Err(ContractError::new("the after hook vetoed"));
                }
                Ok::<(), ContractError>(())
            }
        })
}

fn math() -> Contract {
    Contract::new("Math")
        .evaluate("Add", add, ["a", "b"])
        .evaluate(
            "Sum10",
            sum10,
            ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
        )
        .evaluate("Echo", echo, ["text"])
        .evaluate("Maybe", maybe, ["value"])
        .evaluate("Paint", paint, ["color"])
        .evaluate("Lengths", lengths, ["names"])
        .evaluate("WhoAmI", whoami, [])
        .evaluate("A:B", names, [])
        .unknown(|ctx: Context| async move {
            Ok::<_, ContractError>(format!("no such thing: {}", ctx.function_name()))
        })
}

fn chaincode(log: &Log) -> ContractChaincode {
    ContractChaincode::builder()
        .info(Info::new("test chaincode", "0.1.0"))
        .contract(store(log))
        .contract(math())
        .build()
        .expect("valid definition")
}

async fn call(cc: &ContractChaincode, args: &[&str]) -> (i32, String, String) {
    let r = evaluate(cc, args).await;
    (
        r.status,
        String::from_utf8_lossy(&r.payload).into_owned(),
        r.message,
    )
}

fn ok(payload: &str) -> (i32, String, String) {
    (200, payload.to_owned(), String::new())
}

fn err(status: i32, message: &str) -> (i32, String, String) {
    (status, String::new(), message.to_owned())
}

async fn submit(ledger: &TestLedger, cc: &ContractChaincode, args: &[&str]) -> TxOutcome {
    ledger.tx(&user()).args(args).submit(cc).await.unwrap()
}

#[tokio::test]
async fn routes_contract_and_function() {
    let log = Log::default();
    let cc = chaincode(&log);
    assert_eq!(cc.default_contract(), "Store");
    assert_eq!(cc.contract_names().collect::<Vec<_>>(), ["Math", "Store"]);
    assert_eq!(call(&cc, &["Math:Add", "2", "3"]).await, ok("5"));
    assert_eq!(call(&cc, &["Math:Echo", "hi there"]).await, ok("hi there"));
    // Split at the first ':': the function of Math is "A:B".
    assert_eq!(call(&cc, &["Math:A:B"]).await, ok("Math/A:B"));
    // Bare names and an empty contract part go to the default contract.
    assert_eq!(
        call(&cc, &["Add", "2", "3"]).await,
        err(500, "Function Add not found in contract Store")
    );
    assert_eq!(call(&cc, &[":Get", "k"]).await, err(404, "no item k"));
    assert_eq!(call(&cc, &["Get", "k"]).await, err(404, "no item k"));
    assert_eq!(
        call(&cc, &["Nope:Add"]).await,
        err(500, "Contract not found with name Nope")
    );
    assert_eq!(
        call(&cc, &["Math:"]).await,
        err(500, "Blank function name passed")
    );
    assert_eq!(
        call(&cc, &[""]).await,
        err(500, "Blank function name passed")
    );
    // Function names are exact (Go would upper-case the first letter; Node does not).
    assert_eq!(
        call(&cc, &["Math:add", "1", "1"]).await,
        ok("no such thing: add")
    );
    // No arguments at all: the contract APIs' default answer.
    assert_eq!(call(&cc, &[] as &[&str]).await, ok(DEFAULT_INIT_MESSAGE));
}

#[tokio::test]
async fn another_default_contract() {
    let cc = ContractChaincode::builder()
        .contract(store(&Log::default()))
        .contract(math())
        .default_contract("Math")
        .build()
        .unwrap();
    assert_eq!(call(&cc, &["Add", "40", "2"]).await, ok("42"));
    assert_eq!(call(&cc, &["Store:Get", "x"]).await, err(404, "no item x"));
}

#[tokio::test]
async fn init_with_an_empty_function_name_succeeds() {
    let cc = chaincode(&Log::default());
    // The peer sends INIT for a chaincode defined with --init-required.
    let ledger = TestLedger::new("cc").with_init_required("1");
    let init = |args: &'static [&'static str]| {
        let ledger = &ledger;
        let cc = &cc;
        async move {
            let o = ledger
                .tx(&user())
                .args(args)
                .init(true)
                .evaluate(cc)
                .await
                .unwrap();
            o.response
        }
    };
    let r = init(&[""]).await;
    assert_eq!(
        (r.status, &r.payload[..]),
        (200, DEFAULT_INIT_MESSAGE.as_bytes())
    );
    let r = init(&["Math:Add", "1", "2"]).await;
    assert_eq!((r.status, &r.payload[..]), (200, &b"3"[..]));
}

#[tokio::test]
async fn hooks_run_in_order_and_can_reject() {
    let log = Log::default();
    let cc = chaincode(&log);
    let ledger = TestLedger::new("cc");
    let item = r#"{"name":"pen","count":2,"tags":["b","a"],"note":null}"#;
    let o = submit(&ledger, &cc, &["Put", "k", item]).await;
    assert_eq!(o.status(), 200, "{o:?}");
    // Stored as sorted JSON.
    assert_eq!(
        o.writes(),
        [(
            "k".to_owned(),
            Some(r#"{"count":2,"name":"pen","note":null,"tags":["b","a"]}"#.into())
        )]
        .into()
    );
    let r = submit(&ledger, &cc, &["Get", "k"]).await.response;
    // Returned in field order.
    assert_eq!(
        &r.payload[..],
        br#"{"name":"pen","count":2,"tags":["b","a"],"note":null}"#
    );
    assert_eq!(call(&cc, &["Forbidden"]).await, err(403, "not for you"));
    // The before hook also runs for unknown functions; the after hook does not run after a
    // failure.
    assert_eq!(
        call(&cc, &["Missing"]).await,
        err(500, "Function Missing not found in contract Store")
    );
    assert_eq!(
        call(&cc, &["Fail", "500"]).await,
        err(500, "failed with 500")
    );
    // The after hook sees the payload and can fail the transaction.
    let o = submit(
        &ledger,
        &cc,
        &[
            "Put",
            "v",
            r#"{"name":"veto","count":1,"tags":[],"note":"x"}"#,
        ],
    )
    .await;
    assert_eq!((o.status(), o.message()), (200, ""));
    assert_eq!(o.writes().len(), 1);
    let r = submit(&ledger, &cc, &["Get", "v"]).await.response;
    assert_eq!(
        (r.status, r.message.as_str()),
        (500, "the after hook vetoed")
    );
    assert_eq!(
        *log.lock().unwrap(),
        [
            "before Put",
            "after Put ",
            "before Get",
            r#"after Get {"name":"pen","count":2,"tags":["b","a"],"note":null}"#,
            "before Forbidden",
            "before Missing",
            "before Fail",
            "before Put",
            "after Put ",
            "before Get",
            r#"after Get {"name":"veto","count":1,"tags":[],"note":"x"}"#,
        ]
    );
}

#[tokio::test]
async fn argument_count_errors() {
    let cc = chaincode(&Log::default());
    let signature = "Math:Add(a: i64, b: i64)";
    assert_eq!(
        call(&cc, &["Math:Add", "1"]).await,
        err(
            500,
            &format!("Expected 2 parameters, but 1 have been supplied: {signature}")
        )
    );
    assert_eq!(
        call(&cc, &["Math:Add", "1", "2", "3"]).await,
        err(
            500,
            &format!("Expected 2 parameters, but 3 have been supplied: {signature}")
        )
    );
    assert_eq!(
        call(&cc, &["Store:Put", "k"]).await,
        err(
            500,
            "Expected 2 parameters, but 1 have been supplied: Store:Put(key: String, item: Item)"
        )
    );
}

#[tokio::test]
async fn argument_decoding_and_its_errors() {
    let cc = chaincode(&Log::default());
    assert_eq!(
        call(&cc, &["Math:Add", "1", "x"]).await,
        err(
            500,
            "error managing parameter b (2 of 2) of Add: expected i64 (a JSON integer), got \"x\": \
             expected value at line 1 column 1"
        )
    );
    assert_eq!(
        call(&cc, &["Math:Add", "1.5", "1"]).await,
        err(
            500,
            "error managing parameter a (1 of 2) of Add: expected i64 (a JSON integer), got \"1.5\": \
             invalid type: floating point `1.5`, expected i64 at line 1 column 3"
        )
    );
    let (status, _, message) = call(&cc, &["Store:Put", "k", r#"{"name":"pen"}"#]).await;
    assert_eq!(status, 500);
    assert_eq!(
        message,
        "error managing parameter item (2 of 2) of Put: expected Item (a JSON object), got \
         \"{\\\"name\\\":\\\"pen\\\"}\": missing field `count` at line 1 column 14"
    );
    // Long arguments are cut in the message.
    let long = "y".repeat(1000);
    let (_, _, message) = call(&cc, &["Math:Add", "1", &long]).await;
    assert!(message.len() < 250, "{message}");
    // Non-UTF-8 text.
    let r = evaluate(&cc, &[&b"Math:Echo"[..], &[0xff, 0xfe][..]]).await;
    assert_eq!(r.status, 500);
    assert!(
        r.message.starts_with(
            "error managing parameter text (1 of 1) of Echo: expected String (text), got \"\u{fffd}\u{fffd}\": \
             the argument is not valid UTF-8"
        ),
        "{}",
        r.message
    );
    let r = evaluate(&cc, &[&[0xff][..]]).await;
    assert_eq!(
        r.message,
        "the function name (the first argument) is not valid UTF-8"
    );
    // The other decodings.
    assert_eq!(
        call(
            &cc,
            &[
                "Math:Sum10",
                "1",
                "2",
                "3",
                "4",
                "5",
                "6",
                "7",
                "8",
                "9",
                "10"
            ]
        )
        .await,
        ok("55")
    );
    assert_eq!(call(&cc, &["Math:Maybe", "21"]).await, ok("42"));
    assert_eq!(call(&cc, &["Math:Maybe", "null"]).await, ok(""));
    assert_eq!(call(&cc, &["Math:Paint", "Red"]).await, ok("Green"));
    assert_eq!(call(&cc, &["Math:Paint", "\"Green\""]).await, ok("Red"));
    assert_eq!(call(&cc, &["Math:Paint", "Blue"]).await.0, 500);
    assert_eq!(
        call(&cc, &["Math:Lengths", r#"["abc","de"]"#]).await,
        ok(r#"{"abc":3,"de":2}"#)
    );
    assert_eq!(
        call(&cc, &["Math:Add", "9223372036854775807", "1"]).await,
        err(400, "the sum overflows")
    );
}

#[tokio::test]
async fn error_statuses() {
    let cc = chaincode(&Log::default());
    assert_eq!(
        call(&cc, &["Fail", "404"]).await,
        err(404, "failed with 404")
    );
    assert_eq!(
        call(&cc, &["Fail", "400"]).await,
        err(400, "failed with 400")
    );
    assert_eq!(
        call(&cc, &["Fail", "499"]).await,
        err(499, "failed with 499")
    );
    assert_eq!(
        call(&cc, &["Fail", "503"]).await,
        err(503, "failed with 503")
    );
    // A failure never looks like a success.
    for status in ["200", "0", "399", "600", "-1"] {
        let want = format!("failed with {status}");
        assert_eq!(call(&cc, &["Fail", status]).await, err(500, &want));
    }
    // Any std::error::Error converts with `?` (500, its text); shim errors too.
    assert_eq!(call(&cc, &["Io"]).await, err(500, "disk on fire"));
    assert_eq!(
        call(&cc, &["Shim"]).await,
        err(500, "invalid argument: key must not be an empty string")
    );
    let e: ContractError = Error::InvalidArgument("x".into()).into();
    assert_eq!((e.status(), e.message()), (500, "invalid argument: x"));
    assert_eq!(ContractError::client("c").status(), 400);
    assert_eq!(ContractError::new("n").status_code(418).status(), 418);
}

#[tokio::test]
async fn the_context_knows_the_client() {
    let cc = chaincode(&Log::default());
    // A proposal recorded on a Fabric network (Org1's User1).
    let r = cc
        .invoke(bare_stub(&["Math:WhoAmI"], Some(recorded_proposal())))
        .await;
    assert_eq!(
        (r.status, &r.payload[..]),
        (200, &b"Org1MSP tx1 1795487368"[..])
    );
    // A proposal from the test ledger.
    let o = TestLedger::new("cc")
        .tx(&user())
        .function("Math:WhoAmI")
        .timestamp(1_795_487_368, 0)
        .evaluate(&cc)
        .await
        .unwrap();
    assert_eq!(
        (o.status(), o.payload_str()),
        (200, format!("Org1MSP {} 1795487368", o.txid).into())
    );
    // No proposal at all.
    let r = cc.invoke(bare_stub(&["Math:WhoAmI"], None)).await;
    assert_eq!(r.status, 500);
    assert_eq!(
        r.message,
        "the transaction has no signed proposal; creator, transient data and timestamp are unavailable"
    );
}

#[tokio::test]
async fn stored_values_that_do_not_parse() {
    let cc = chaincode(&Log::default());
    let ledger = TestLedger::new("cc");
    ledger.put_state("k", r#"{"name":1}"#).unwrap();
    let r = ledger
        .tx(&user())
        .args(["Get", "k"])
        .evaluate(&cc)
        .await
        .unwrap()
        .response;
    assert_eq!(r.status, 500);
    assert_eq!(
        r.message,
        "the value of key \"k\" is not a valid Item: invalid type: integer `1`, expected a string at line 1 column 9"
    );
}

#[test]
fn definition_errors_are_reported_together() {
    async fn f(_ctx: Context, _a: String) -> Result<(), ContractError> {
        Ok(())
    }
    let e = ContractChaincode::builder()
        .contract(
            Contract::new("A")
                .submit("F", f, ["x"])
                .submit("F", f, ["y"]),
        )
        .contract(Contract::new("A").submit("G", f, ["p"]))
        .contract(Contract::new("B:C").submit("", f, [""]))
        .contract(Contract::new("org.hyperledger.fabric").submit("H", f, ["x"]))
        .contract(Contract::new("Empty"))
        .default_contract("Z")
        .build()
        .unwrap_err();
    let text = e.to_string();
    for part in [
        "contract A: transaction F is registered twice",
        "contract A is added twice",
        "contract name \"B:C\" contains ':'",
        "contract B:C: a transaction has an empty name",
        "parameter 1 has an empty name",
        "contract name org.hyperledger.fabric is reserved",
        "contract Empty has no transaction",
        "the default contract Z is not one of the contracts",
    ] {
        assert!(text.contains(part), "{part:?} not in {text}");
    }
    assert!(matches!(e, Error::Config(_)));
    async fn g(_ctx: Context, _a: String, _b: String) -> Result<(), ContractError> {
        Ok(())
    }
    let e = ContractChaincode::builder()
        .contract(Contract::new("A").submit("G", g, ["x", "x"]))
        .build()
        .unwrap_err();
    assert!(
        e.to_string().contains("parameter name x is used twice"),
        "{e}"
    );
    let e = ContractChaincode::builder().build().unwrap_err();
    assert!(e.to_string().contains("at least one contract"), "{e}");
}

#[tokio::test]
async fn metadata_is_served_deterministic_and_well_formed() {
    let cc = chaincode(&Log::default());
    let (status, payload, _) = call(&cc, &["org.hyperledger.fabric:GetMetadata"]).await;
    assert_eq!(status, 200);
    assert_eq!(payload.as_bytes(), &cc.metadata()[..]);
    // Extra arguments are ignored, as Go and Node do for GetMetadata.
    assert_eq!(
        call(&cc, &["org.hyperledger.fabric:GetMetadata", "x"])
            .await
            .1,
        payload
    );
    assert_eq!(
        call(&cc, &["org.hyperledger.fabric:Other"]).await,
        err(
            500,
            "Function Other not found in contract org.hyperledger.fabric"
        )
    );
    // Built twice, byte-identical.
    assert_eq!(chaincode(&Log::default()).metadata(), cc.metadata());
    let metadata: serde_json::Value = serde_json::from_str(&payload).unwrap();
    assert_eq!(metadata_shape_problems(&metadata), Vec::<String>::new());
    // A few facts the reference APIs' clients rely on.
    assert_eq!(
        metadata["$schema"],
        "https://hyperledger.github.io/fabric-chaincode-node/main/api/contract-schema.json"
    );
    let store = &metadata["contracts"]["Store"];
    assert_eq!(store["default"], true);
    assert_eq!(store["info"]["title"], "Item store");
    let names: Vec<&str> = store["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Fail", "Forbidden", "Get", "Io", "Put", "Shim"]);
    let put = &store["transactions"][4];
    assert_eq!(put["tag"], serde_json::json!(["submit", "SUBMIT"]));
    assert_eq!(
        put["parameters"][0],
        serde_json::json!({"name": "key", "schema": {"type": "string"}})
    );
    assert_eq!(
        put["parameters"][1]["schema"]["$ref"],
        "#/components/schemas/Item"
    );
    assert!(put.get("returns").is_none());
    assert_eq!(
        store["transactions"][2]["tag"],
        serde_json::json!(["evaluate", "EVALUATE"])
    );
    assert_eq!(metadata["components"]["schemas"]["Item"]["$id"], "Item");
    assert_eq!(
        metadata["contracts"]["org.hyperledger.fabric"]["transactions"][0]["name"],
        "GetMetadata"
    );
    check_golden("contract_api_metadata.json", cc.metadata());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// Untrusted arguments never panic the router: every response is a success or a
    /// 400–599 failure.
    #[test]
    fn arbitrary_arguments_never_panic(
        function in proptest::prop_oneof![
            proptest::prelude::Just(b"Math:Add".to_vec()),
            proptest::prelude::Just(b"Store:Put".to_vec()),
            proptest::prelude::Just(b"Math:Paint".to_vec()),
            proptest::prelude::Just(b"Math:Lengths".to_vec()),
            proptest::prelude::Just(b"Math:Maybe".to_vec()),
            proptest::collection::vec(proptest::prelude::any::<u8>(), 0..12),
        ],
        args in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
                "[ -~]{0,30}".prop_map(String::into_bytes),
                proptest::prelude::Just(br#"{"name":"n","count":1,"tags":[],"note":null}"#.to_vec()),
            ],
            0..4,
        ),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let cc = chaincode(&Log::default());
        let mut all = vec![function];
        all.extend(args);
        let r = runtime.block_on(evaluate(&cc, &all));
        proptest::prop_assert!(r.status == 200 || (400..600).contains(&r.status), "{r:?}");
    }
}
