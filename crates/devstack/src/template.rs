//! Reads what the local stack needs from `template.yaml`: each function's binary and HTTP API
//! routes, and the DynamoDB table's keys. The template is the one place routes and the table
//! are declared, so the local gateway and the drift test read it instead of repeating it.
//!
//! CloudFormation short-form tags (`!Ref`, `!Sub`, `!GetAtt`, `!If`) parse as tagged YAML
//! values. The fields read here must be plain strings. A tagged value where a route path or a
//! binary name is expected is an error, because the local stack cannot resolve it.

use serde_yaml_ng::{Mapping, Value};

/// `template.yaml` as it was when this crate was compiled. Cargo rebuilds the crate when the
/// file changes.
pub const TEMPLATE_YAML: &str = include_str!("../../../template.yaml");

const FUNCTION_TYPE: &str = "AWS::Serverless::Function";
const TABLE_TYPE: &str = "AWS::DynamoDB::Table";

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template.yaml is not valid YAML: {0}")]
    Yaml(#[from] serde_yaml_ng::Error),
    #[error("template.yaml: {0}")]
    Invalid(String),
}

fn invalid(message: impl Into<String>) -> TemplateError {
    TemplateError::Invalid(message.into())
}

/// One `AWS::Serverless::Function` resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateFunction {
    /// The resource's logical id, such as `RecordsFunction`.
    pub logical_id: String,
    /// `Metadata.BuildProperties.Binary`: the Cargo binary, which is also the function's name
    /// under `cargo lambda watch`.
    pub binary: String,
    /// The function's `HttpApi` events, in template order.
    pub http_routes: Vec<TemplateRoute>,
}

/// One `HttpApi` event of a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRoute {
    /// The event's name in the template, such as `ProgramRecordList`.
    pub event: String,
    /// `ANY` or an upper-case HTTP method.
    pub method: String,
    pub path: String,
}

/// One global secondary index of the table resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateIndex {
    pub name: String,
    pub partition_key: String,
    pub sort_key: String,
    pub projection: String,
}

/// The key schema, indexes and TTL attribute of the `AWS::DynamoDB::Table` resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateTable {
    pub partition_key: String,
    pub sort_key: String,
    pub indexes: Vec<TemplateIndex>,
    pub ttl_attribute: String,
    /// `AttributeDefinitions` as (name, type) pairs, in template order.
    pub attribute_types: Vec<(String, String)>,
}

/// The parts of the template the local stack uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// Every function resource, in template order.
    pub functions: Vec<TemplateFunction>,
    pub table: TemplateTable,
}

impl Template {
    /// Parses the template this crate was compiled with.
    pub fn builtin() -> Result<Self, TemplateError> {
        Self::parse(TEMPLATE_YAML)
    }

    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let document: Value = serde_yaml_ng::from_str(text)?;
        let resources = document
            .get("Resources")
            .and_then(Value::as_mapping)
            .ok_or_else(|| invalid("it has no Resources mapping"))?;

        let mut functions = Vec::new();
        let mut tables = Vec::new();
        for (id, resource) in resources {
            let id = id
                .as_str()
                .ok_or_else(|| invalid(format!("resource id {id:?} is not a string")))?;
            match resource.get("Type").and_then(Value::as_str) {
                Some(FUNCTION_TYPE) => functions.push(parse_function(id, resource)?),
                Some(TABLE_TYPE) => tables.push(parse_table(id, resource)?),
                _ => {}
            }
        }

        let table = match tables.len() {
            1 => tables.remove(0),
            count => {
                return Err(invalid(format!(
                    "expected one {TABLE_TYPE} resource, found {count}"
                )));
            }
        };
        Ok(Self { functions, table })
    }
}

fn plain_string<'a>(value: &'a Value, what: &str) -> Result<&'a str, TemplateError> {
    match value {
        Value::String(text) => Ok(text),
        Value::Tagged(tagged) => Err(invalid(format!(
            "{what} is the intrinsic function {}; the local stack needs a plain string",
            tagged.tag
        ))),
        other => Err(invalid(format!("{what} is {other:?}, not a string"))),
    }
}

fn field<'a>(mapping: &'a Value, key: &str, what: &str) -> Result<&'a Value, TemplateError> {
    mapping
        .get(key)
        .ok_or_else(|| invalid(format!("{what} has no {key}")))
}

fn parse_function(id: &str, resource: &Value) -> Result<TemplateFunction, TemplateError> {
    let binary = resource
        .get("Metadata")
        .and_then(|metadata| metadata.get("BuildProperties"))
        .and_then(|properties| properties.get("Binary"))
        .ok_or_else(|| invalid(format!("{id} has no Metadata.BuildProperties.Binary")))?;
    let binary = plain_string(binary, &format!("{id}.Metadata.BuildProperties.Binary"))?;

    let empty = Mapping::new();
    let events = resource
        .get("Properties")
        .and_then(|properties| properties.get("Events"))
        .and_then(Value::as_mapping)
        .unwrap_or(&empty);
    let mut http_routes = Vec::new();
    for (name, event) in events {
        let name = name.as_str().unwrap_or_default();
        if event.get("Type").and_then(Value::as_str) != Some("HttpApi") {
            continue;
        }
        let what = format!("{id}.Events.{name}");
        let properties = field(event, "Properties", &what)?;
        let path = plain_string(field(properties, "Path", &what)?, &format!("{what}.Path"))?;
        let method = match properties.get("Method") {
            Some(method) => plain_string(method, &format!("{what}.Method"))?.to_ascii_uppercase(),
            // SAM's default for an HttpApi event without Method.
            None => "ANY".to_owned(),
        };
        http_routes.push(TemplateRoute {
            event: name.to_owned(),
            method,
            path: path.to_owned(),
        });
    }

    Ok(TemplateFunction {
        logical_id: id.to_owned(),
        binary: binary.to_owned(),
        http_routes,
    })
}

/// Reads a `KeySchema` list into (partition key, sort key).
fn parse_key_schema(schema: &Value, what: &str) -> Result<(String, String), TemplateError> {
    let elements = schema
        .as_sequence()
        .ok_or_else(|| invalid(format!("{what}.KeySchema is not a list")))?;
    let mut hash = None;
    let mut range = None;
    for element in elements {
        let name = plain_string(
            field(element, "AttributeName", what)?,
            &format!("{what}.KeySchema AttributeName"),
        )?;
        match element.get("KeyType").and_then(Value::as_str) {
            Some("HASH") => hash = Some(name.to_owned()),
            Some("RANGE") => range = Some(name.to_owned()),
            other => {
                return Err(invalid(format!(
                    "{what}.KeySchema has KeyType {other:?} for {name}"
                )));
            }
        }
    }
    match (hash, range) {
        (Some(hash), Some(range)) => Ok((hash, range)),
        _ => Err(invalid(format!(
            "{what}.KeySchema needs one HASH and one RANGE key"
        ))),
    }
}

fn parse_table(id: &str, resource: &Value) -> Result<TemplateTable, TemplateError> {
    let properties = field(resource, "Properties", id)?;
    let (partition_key, sort_key) = parse_key_schema(field(properties, "KeySchema", id)?, id)?;

    let mut indexes = Vec::new();
    if let Some(list) = properties
        .get("GlobalSecondaryIndexes")
        .and_then(Value::as_sequence)
    {
        for index in list {
            let name = plain_string(field(index, "IndexName", id)?, &format!("{id} IndexName"))?;
            let what = format!("{id}.GlobalSecondaryIndexes.{name}");
            let (partition_key, sort_key) =
                parse_key_schema(field(index, "KeySchema", &what)?, &what)?;
            let projection = index
                .get("Projection")
                .and_then(|projection| projection.get("ProjectionType"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            indexes.push(TemplateIndex {
                name: name.to_owned(),
                partition_key,
                sort_key,
                projection,
            });
        }
    }

    let ttl = field(properties, "TimeToLiveSpecification", id)?;
    let ttl_attribute = plain_string(
        field(ttl, "AttributeName", id)?,
        &format!("{id}.TimeToLiveSpecification.AttributeName"),
    )?
    .to_owned();

    let mut attribute_types = Vec::new();
    if let Some(list) = properties
        .get("AttributeDefinitions")
        .and_then(Value::as_sequence)
    {
        for definition in list {
            let name = definition.get("AttributeName").and_then(Value::as_str);
            let kind = definition.get("AttributeType").and_then(Value::as_str);
            if let (Some(name), Some(kind)) = (name, kind) {
                attribute_types.push((name.to_owned(), kind.to_owned()));
            }
        }
    }

    Ok(TemplateTable {
        partition_key,
        sort_key,
        indexes,
        ttl_attribute,
        attribute_types,
    })
}

#[cfg(test)]
mod tests {
    use learner_records::store::schema::TABLE;

    use super::*;

    fn template() -> Template {
        Template::builtin().unwrap()
    }

    #[test]
    fn every_function_has_its_binary() {
        let binaries: Vec<String> = template()
            .functions
            .into_iter()
            .map(|function| function.binary)
            .collect();
        assert_eq!(
            binaries,
            [
                "records",
                "public-record",
                "share-credit",
                "ingest",
                "copy-catalog"
            ]
        );
    }

    #[test]
    fn copy_catalog_has_no_http_routes() {
        let template = template();
        let copy = template
            .functions
            .iter()
            .find(|function| function.binary == "copy-catalog")
            .unwrap();
        assert!(copy.http_routes.is_empty());
    }

    #[test]
    fn table_keys_match_the_store_definition() {
        let table = template().table;
        assert_eq!(table.partition_key, TABLE.partition_key);
        assert_eq!(table.sort_key, TABLE.sort_key);
    }

    #[test]
    fn table_indexes_match_the_store_definition() {
        let table = template().table;
        let from_template: Vec<(String, String, String)> = table
            .indexes
            .iter()
            .map(|index| {
                (
                    index.name.clone(),
                    index.partition_key.clone(),
                    index.sort_key.clone(),
                )
            })
            .collect();
        let from_store: Vec<(String, String, String)> = TABLE
            .indexes
            .iter()
            .map(|index| {
                (
                    index.name.to_owned(),
                    index.partition_key.to_owned(),
                    index.sort_key.to_owned(),
                )
            })
            .collect();
        assert_eq!(from_template, from_store);
    }

    #[test]
    fn table_indexes_project_all_attributes() {
        // The bootstrap creates every index with ProjectionType ALL.
        for index in template().table.indexes {
            assert_eq!(index.projection, "ALL", "index {}", index.name);
        }
    }

    #[test]
    fn table_ttl_attribute_matches_the_store_definition() {
        assert_eq!(template().table.ttl_attribute, TABLE.ttl_attribute);
    }

    #[test]
    fn table_key_attributes_are_strings() {
        let table = template().table;
        let mut key_attributes = vec![TABLE.partition_key, TABLE.sort_key];
        for index in TABLE.indexes {
            key_attributes.push(index.partition_key);
            key_attributes.push(index.sort_key);
        }
        let mut defined: Vec<(String, String)> = table.attribute_types.clone();
        defined.sort();
        let mut expected: Vec<(String, String)> = key_attributes
            .iter()
            .map(|name| ((*name).to_owned(), "S".to_owned()))
            .collect();
        expected.sort();
        assert_eq!(defined, expected);
    }

    #[test]
    fn tagged_route_path_is_rejected() {
        let text = r#"
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema:
        - {AttributeName: PK, KeyType: HASH}
        - {AttributeName: SK, KeyType: RANGE}
      TimeToLiveSpecification: {AttributeName: expires_at, Enabled: true}
  Fn:
    Type: AWS::Serverless::Function
    Metadata:
      BuildProperties:
        Binary: fn
    Properties:
      Events:
        Route:
          Type: HttpApi
          Properties:
            ApiId: !Ref HttpApi
            Path: !Sub "/${Prefix}/x"
            Method: ANY
"#;
        let error = Template::parse(text).unwrap_err();
        assert!(
            error.to_string().contains("Fn.Events.Route.Path"),
            "{error}"
        );
    }

    #[test]
    fn short_form_tags_elsewhere_are_ignored() {
        let text = r#"
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      KeySchema:
        - {AttributeName: PK, KeyType: HASH}
        - {AttributeName: SK, KeyType: RANGE}
      TimeToLiveSpecification: {AttributeName: expires_at, Enabled: true}
  Fn:
    Type: AWS::Serverless::Function
    Metadata:
      BuildProperties:
        Binary: fn
    Properties:
      Environment:
        Variables:
          TABLE_NAME: !Ref Table
          ARN: !GetAtt Table.Arn
      Events:
        Route:
          Type: HttpApi
          Properties:
            ApiId: !Ref HttpApi
            Path: /x
"#;
        let template = Template::parse(text).unwrap();
        assert_eq!(
            template.functions[0].http_routes,
            [TemplateRoute {
                event: "Route".to_owned(),
                method: "ANY".to_owned(),
                path: "/x".to_owned(),
            }]
        );
    }
}
