//! `chathub-server mint-token`: the documented integrator flow over HTTP against any ChatHub API
//! (company token → organizations → operators → operator token → validate). Prints the token on
//! stdout and the steps on stderr; a failure names the step.

use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::cli::MintArgs;

const STEPS: usize = 5;
/// Asked-for lifetimes stay this far below 24 h so a strict server's clock never sees more.
const MARGIN_SECS: i64 = 60;

#[derive(Debug, Deserialize)]
struct Org {
    id: i64,
    #[serde(default)]
    name: String,
}

#[derive(Debug, Deserialize)]
struct Op {
    id: i64,
    #[serde(default)]
    name: String,
    #[serde(default)]
    status: i64,
}

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    async fn call(
        &self,
        step: usize,
        what: &str,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<String> {
        let url = format!("{}{}", self.base, path);
        let mut req = self.http.request(method, &url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        eprintln!("[{step}/{STEPS}] {what}");
        let res = req
            .send()
            .await
            .with_context(|| format!("step {step}/{STEPS} ({what}): request to {url} failed"))?;
        let status = res.status();
        let text = res
            .text()
            .await
            .with_context(|| format!("step {step}/{STEPS} ({what}): reading the response"))?;
        if !status.is_success() {
            bail!(
                "step {step}/{STEPS} ({what}) failed: HTTP {status}: {}",
                shorten(&text)
            );
        }
        Ok(text)
    }
}

/// A token answered as a JSON string or as bare text.
fn token_text(text: &str) -> String {
    serde_json::from_str::<String>(text).unwrap_or_else(|_| text.trim().to_string())
}

fn shorten(s: &str) -> String {
    let s: String = s.chars().take(300).collect();
    if s.is_empty() {
        "(empty body)".into()
    } else {
        s
    }
}

pub async fn run(args: MintArgs) -> anyhow::Result<()> {
    if !(args.hours > 0.0 && args.hours <= 24.0) {
        bail!("--hours must be more than 0 and at most 24");
    }
    let api = Api {
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .context("building the HTTP client")?,
        base: args.api.trim_end_matches('/').to_string(),
    };

    let company = token_text(
        &api.call(
            1,
            "company token (POST /api/company/get-token)",
            reqwest::Method::POST,
            "/api/company/get-token",
            None,
            Some(json!({ "login": args.login, "password": args.password })),
        )
        .await?,
    );
    if company.is_empty() {
        bail!("step 1/{STEPS}: the server answered an empty token");
    }

    let orgs: Vec<Org> = serde_json::from_str(
        &api.call(
            2,
            "organizations (GET /api/company/organization)",
            reqwest::Method::GET,
            "/api/company/organization",
            Some(&company),
            None,
        )
        .await?,
    )
    .context("step 2/5: unexpected organizations response")?;
    let org = match args.organization {
        Some(id) => orgs
            .iter()
            .find(|o| o.id == id)
            .ok_or_else(|| anyhow!("step 2/{STEPS}: the company has no organization {id}"))?,
        None => orgs
            .first()
            .ok_or_else(|| anyhow!("step 2/{STEPS}: the company has no organizations"))?,
    };
    eprintln!("      organization {} \"{}\"", org.id, org.name);

    let ops: Vec<Op> = serde_json::from_str(
        &api.call(
            3,
            "operators (GET /api/operator)",
            reqwest::Method::GET,
            &format!("/api/operator?organizationId={}", org.id),
            Some(&company),
            None,
        )
        .await?,
    )
    .context("step 3/5: unexpected operators response")?;
    let op = match args.operator {
        Some(id) => ops.iter().find(|o| o.id == id).ok_or_else(|| {
            anyhow!(
                "step 3/{STEPS}: organization {} has no operator {id}",
                org.id
            )
        })?,
        None => ops.iter().find(|o| o.status == 0).ok_or_else(|| {
            anyhow!(
                "step 3/{STEPS}: organization {} has no active operator",
                org.id
            )
        })?,
    };
    if op.status != 0 {
        bail!(
            "step 3/{STEPS}: operator {} is not active (status {})",
            op.id,
            op.status
        );
    }
    eprintln!("      operator {} \"{}\"", op.id, op.name);

    let secs = ((args.hours * 3600.0) as i64).clamp(1, 24 * 3600 - MARGIN_SECS);
    let expires = chrono::Utc::now() + chrono::Duration::seconds(secs);
    let expires_at = expires.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let operator_token = token_text(
        &api.call(
            4,
            "operator token (POST /api/operator/get-token)",
            reqwest::Method::POST,
            "/api/operator/get-token",
            Some(&company),
            Some(json!({ "id": op.id, "expiresAt": expires_at })),
        )
        .await?,
    );

    let check: Value = serde_json::from_str(
        &api.call(
            5,
            "validate (POST /api/operator/validate-token)",
            reqwest::Method::POST,
            "/api/operator/validate-token",
            Some(&company),
            Some(json!({ "token": operator_token })),
        )
        .await?,
    )
    .context("step 5/5: unexpected validate-token response")?;
    if check.get("isValid").and_then(Value::as_bool) != Some(true) {
        let why = check
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("no reason given");
        bail!("step 5/{STEPS}: the minted token did not validate: {why}");
    }
    eprintln!("      valid until {expires_at}");
    println!("{operator_token}");
    Ok(())
}
