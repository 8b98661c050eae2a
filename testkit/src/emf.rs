//! CloudWatch Embedded Metric Format, read back from a function's stdout and checked against
//! the specification (CloudWatch_Embedded_Metric_Format_Specification): what CloudWatch Logs
//! would refuse to turn into metrics fails the test here.
//!
//! Checked: the line is one JSON object; `_aws` holds a `Timestamp` (whole milliseconds since
//! the epoch, within the two weeks back and two hours ahead CloudWatch accepts) and a non-empty
//! `CloudWatchMetrics` array; each directive has a `Namespace` (1–255 characters), `Dimensions`
//! (dimension sets of at most 30 keys, each key a root member whose value is a string of
//! 1–1024 characters) and `Metrics` (1–100 definitions, each a `Name` of 1–255 characters, an
//! optional `Unit` among CloudWatch's units, an optional `StorageResolution` of 1 or 60), and
//! each metric's value at the root is a number or an array of at most 100 numbers.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

/// The units CloudWatch accepts (`MetricDatum.Unit`).
const UNITS: &[&str] = &[
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];
const MAX_DIMENSIONS: usize = 30;
const MAX_METRICS: usize = 100;
const MAX_VALUES: usize = 100;

/// One metric of a checked document: its directive's namespace and dimensions, and its value.
#[derive(Debug, Clone)]
pub struct Metric {
    pub namespace: String,
    pub name: String,
    pub unit: Option<String>,
    /// Each dimension of the metric's (single) dimension set, with its value.
    pub dimensions: BTreeMap<String, String>,
    /// The values: one for a counter, one per sample for a histogram.
    pub values: Vec<f64>,
    /// The document's root, for its properties (such as the request id).
    pub root: Map<String, Value>,
}

/// Every EMF document among `output`'s lines (those with an `_aws` member), each checked
/// against the specification, as metrics. A violation panics with the line and the reason.
pub fn metrics_in(output: &str) -> Vec<Metric> {
    output
        .lines()
        .filter_map(|line| {
            let value: Value = serde_json::from_str(line).ok()?;
            value.get("_aws")?;
            Some(check(&value).unwrap_or_else(|reason| panic!("not valid EMF ({reason}): {line}")))
        })
        .flatten()
        .collect()
}

/// The one metric `name` flushed for invocation `request_id` (its `RequestId` property) with
/// exactly `dimensions`; panics, listing what there is, when there is not exactly one.
pub fn one<'a>(
    metrics: &'a [Metric],
    request_id: &str,
    name: &str,
    dimensions: &[(&str, &str)],
) -> &'a Metric {
    let wanted: BTreeMap<String, String> = dimensions
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let found: Vec<&Metric> = metrics
        .iter()
        .filter(|m| m.name == name && m.dimensions == wanted && m.root["RequestId"] == request_id)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{name} {wanted:?} of {request_id}, among {metrics:#?}"
    );
    found[0]
}

/// Asserts that each `(request id, status class)` invocation of `function` counted one request
/// (`Requests`, dimensions `Stack` = `stack`, `Function`, `StatusClass`).
pub fn assert_requests_counted(
    metrics: &[Metric],
    stack: &str,
    function: &str,
    invocations: &[(&str, &str)],
) {
    for (request_id, class) in invocations {
        let dimensions = [
            ("Stack", stack),
            ("Function", function),
            ("StatusClass", class),
        ];
        let requests = one(metrics, request_id, "Requests", &dimensions);
        assert_eq!(requests.values, [1.0], "{request_id}");
        assert_eq!(requests.unit.as_deref(), Some("Count"), "{request_id}");
    }
}

/// Checks one document; its metrics, or why it breaks the specification.
pub fn check(document: &Value) -> Result<Vec<Metric>, String> {
    let root = document.as_object().ok_or("the root is not an object")?;
    let aws = root["_aws"].as_object().ok_or("_aws is not an object")?;
    let timestamp = aws
        .get("Timestamp")
        .and_then(Value::as_u64)
        .ok_or("_aws.Timestamp is not a whole number")?;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let (earliest, latest) = (
        now - Duration::from_secs(14 * 24 * 3600),
        now + Duration::from_secs(2 * 3600),
    );
    if !(earliest.as_millis()..=latest.as_millis()).contains(&u128::from(timestamp)) {
        return Err(format!(
            "_aws.Timestamp {timestamp} is not milliseconds near now"
        ));
    }
    let directives = aws
        .get("CloudWatchMetrics")
        .and_then(Value::as_array)
        .filter(|directives| !directives.is_empty())
        .ok_or("_aws.CloudWatchMetrics is not a non-empty array")?;
    let mut metrics = Vec::new();
    for directive in directives {
        let namespace = directive["Namespace"]
            .as_str()
            .filter(|n| (1..=255).contains(&n.chars().count()))
            .ok_or("Namespace is not a string of 1-255 characters")?;
        let sets = directive["Dimensions"]
            .as_array()
            .ok_or("Dimensions is not an array")?;
        let mut dimensions = BTreeMap::new();
        for set in sets {
            let keys = set.as_array().ok_or("a dimension set is not an array")?;
            if keys.len() > MAX_DIMENSIONS {
                return Err(format!("a dimension set has {} keys", keys.len()));
            }
            for key in keys {
                let key = key.as_str().ok_or("a dimension key is not a string")?;
                let value = root
                    .get(key)
                    .and_then(Value::as_str)
                    .filter(|v| (1..=1024).contains(&v.chars().count()))
                    .ok_or_else(|| {
                        format!("dimension {key} is not a root member of 1-1024 characters")
                    })?;
                dimensions.insert(key.to_owned(), value.to_owned());
            }
        }
        if sets.len() > 1 {
            return Err("more than one dimension set: this reader expects one".into());
        }
        let definitions = directive["Metrics"]
            .as_array()
            .filter(|m| (1..=MAX_METRICS).contains(&m.len()))
            .ok_or("Metrics is not an array of 1-100 definitions")?;
        for definition in definitions {
            let name = definition["Name"]
                .as_str()
                .filter(|n| (1..=255).contains(&n.chars().count()))
                .ok_or("a metric Name is not a string of 1-255 characters")?;
            let unit = match definition.get("Unit") {
                None => None,
                Some(Value::String(unit)) if UNITS.contains(&unit.as_str()) => Some(unit.clone()),
                Some(other) => {
                    return Err(format!("{name}: Unit {other} is not a CloudWatch unit"))
                }
            };
            match definition.get("StorageResolution") {
                None => {}
                Some(r) if r == 1 || r == 60 => {}
                Some(other) => return Err(format!("{name}: StorageResolution {other}")),
            }
            let values = match root.get(name) {
                Some(Value::Number(n)) => vec![n.as_f64().unwrap()],
                Some(Value::Array(items)) if !items.is_empty() && items.len() <= MAX_VALUES => {
                    items
                        .iter()
                        .map(|item| {
                            item.as_f64()
                                .ok_or(format!("{name}: a value is not a number"))
                        })
                        .collect::<Result<_, _>>()?
                }
                _ => {
                    return Err(format!(
                        "{name} has no number (or 1-100 numbers) at the root"
                    ))
                }
            };
            metrics.push(Metric {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
                unit,
                dimensions: dimensions.clone(),
                values,
                root: root.clone(),
            });
        }
    }
    Ok(metrics)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// What a case does to a valid document.
    type Breakage = fn(&mut Value);

    fn now_ms() -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    }

    fn valid() -> Value {
        json!({
            "_aws": {
                "Timestamp": now_ms(),
                "CloudWatchMetrics": [{
                    "Namespace": "GoalTracker",
                    "Dimensions": [["Function"]],
                    "Metrics": [{ "Name": "Latency", "Unit": "Milliseconds" }]
                }]
            },
            "Function": "list-goals",
            "Latency": [1.5, 2.0]
        })
    }

    #[test]
    fn a_valid_document_reads_as_its_metrics() {
        let metrics = check(&valid()).unwrap();
        assert_eq!(metrics.len(), 1);
        assert_eq!(metrics[0].values, vec![1.5, 2.0]);
        assert_eq!(metrics[0].dimensions["Function"], "list-goals");
    }

    #[test]
    fn each_rule_of_the_specification_is_checked() {
        let broken: [(&str, Breakage); 8] = [
            ("no timestamp", |d| {
                d["_aws"].as_object_mut().unwrap().remove("Timestamp");
            }),
            ("a timestamp in seconds", |d| {
                d["_aws"]["Timestamp"] = json!(now_ms() / 1000)
            }),
            ("no directive", |d| {
                d["_aws"]["CloudWatchMetrics"] = json!([])
            }),
            ("a dimension missing at the root", |d| {
                d.as_object_mut().unwrap().remove("Function");
            }),
            ("a metric missing at the root", |d| {
                d.as_object_mut().unwrap().remove("Latency");
            }),
            ("an unknown unit", |d| {
                d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"] = json!("ms")
            }),
            ("31 dimensions", |d| {
                let keys: Vec<String> = (0..31).map(|i| format!("D{i}")).collect();
                for key in &keys {
                    d[key] = json!("x");
                }
                d["_aws"]["CloudWatchMetrics"][0]["Dimensions"] = json!([keys]);
            }),
            ("101 metrics", |d| {
                let names: Vec<Value> = (0..101)
                    .map(|i| json!({ "Name": format!("M{i}") }))
                    .collect();
                for i in 0..101 {
                    d[format!("M{i}")] = json!(1);
                }
                d["_aws"]["CloudWatchMetrics"][0]["Metrics"] = json!(names);
            }),
        ];
        for (case, breaks) in broken {
            let mut document = valid();
            breaks(&mut document);
            assert!(check(&document).is_err(), "{case} was accepted");
        }
    }
}
