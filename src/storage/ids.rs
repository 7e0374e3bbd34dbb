//! The typed ids and the connector status as column values of both
//! drivers: written as their text, read back into their types. Reading a
//! [`TenantId`] from a row is how the store hands one out.

use crate::domain::ids::{ConnectorId, TenantId};
use crate::domain::status::ConnectorStatus;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};
use std::error::Error;
use tokio_postgres::types::{self as pg, IsNull, Type};

type PgError = Box<dyn Error + Sync + Send>;

fn status_from_text(text: &str) -> Result<ConnectorStatus, String> {
    ConnectorStatus::parse(text).ok_or_else(|| format!("bad connector status '{text}'"))
}

/// Each type's text, and how a stored text becomes the type again.
macro_rules! text_column {
    ($ty:ty, $text:expr, $from:expr) => {
        impl ToSql for $ty {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                let text: fn(&$ty) -> &str = $text;
                Ok(ToSqlOutput::from(text(self)))
            }
        }

        impl FromSql for $ty {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                let from: fn(String) -> Result<$ty, String> = $from;
                from(String::column_result(value)?).map_err(|e| FromSqlError::Other(e.into()))
            }
        }

        impl pg::ToSql for $ty {
            fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, PgError> {
                let text: fn(&$ty) -> &str = $text;
                <&str as pg::ToSql>::to_sql(&text(self), ty, out)
            }

            fn accepts(ty: &Type) -> bool {
                <&str as pg::ToSql>::accepts(ty)
            }

            pg::to_sql_checked!();
        }

        impl<'a> pg::FromSql<'a> for $ty {
            fn from_sql(ty: &Type, raw: &'a [u8]) -> Result<Self, PgError> {
                let from: fn(String) -> Result<$ty, String> = $from;
                Ok(from(<String as pg::FromSql>::from_sql(ty, raw)?)?)
            }

            fn accepts(ty: &Type) -> bool {
                <String as pg::FromSql>::accepts(ty)
            }
        }
    };
}

/// The tenant id of a row the store read or is creating: the one place a
/// [`TenantId`] is made from text.
#[expect(clippy::disallowed_methods, reason = "the store hands out tenant ids")]
pub(super) fn stored_tenant_id(id: String) -> TenantId {
    TenantId::from_stored(id)
}

fn tenant_id_from_row(id: String) -> Result<TenantId, String> {
    Ok(stored_tenant_id(id))
}

text_column!(TenantId, |t| t.as_str(), tenant_id_from_row);
text_column!(ConnectorId, |c| c.as_str(), |s| Ok(ConnectorId::from(s)));
text_column!(ConnectorStatus, |s| s.as_str(), |s| status_from_text(&s));
