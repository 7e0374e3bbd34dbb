//! `connectors tenant …`, `user …`, `token …`.

use crate::app::open_store;
use crate::config::Config;
use crate::domain::identity::Role;
use crate::domain::time;
use crate::service::identity as svc;
use crate::storage::MembershipOutcome;
use anyhow::Context;
use clap::Subcommand;
use secrecy::{ExposeSecret, SecretString};
use std::io::BufRead;

#[derive(Debug, Subcommand)]
pub enum TenantCommand {
    /// Create a tenant
    Create {
        /// Short id used in URLs and commands: lowercase letters, digits, '-'
        slug: String,
        /// Display name [default: the slug]
        #[arg(long)]
        name: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create the user if new and add them to a tenant with a role
    /// (an existing member gets the new role, which ends their sessions in
    /// that tenant)
    Create {
        /// Tenant slug
        #[arg(long)]
        tenant: String,
        /// Email address, used to sign in
        #[arg(long)]
        email: String,
        /// owner, admin or member
        #[arg(long)]
        role: Role,
        /// Read the password from the first line of standard input; a new
        /// password for an existing user ends all of their sessions
        #[arg(long)]
        password_stdin: bool,
    },
    /// Remove a user from a tenant; their sessions in it end at once
    Remove {
        /// Tenant slug
        #[arg(long)]
        tenant: String,
        /// Email address of the member
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token and print it once on standard output
    Create {
        /// Tenant slug
        #[arg(long)]
        tenant: String,
        /// Email of a member of the tenant; the token acts as them
        #[arg(long)]
        email: String,
        /// A label to recognise the token by [default: cli]
        #[arg(long)]
        name: Option<String>,
        /// Extra scope, repeatable; known: credentials:read
        #[arg(long = "scope", value_name = "SCOPE")]
        scopes: Vec<String>,
    },
    /// List a tenant's tokens (never their values)
    List {
        /// Tenant slug
        #[arg(long)]
        tenant: String,
    },
    /// Revoke a token by id; it stops working at once
    Revoke {
        /// Token id, as shown by `token list`
        id: String,
    },
}

impl clap::ValueEnum for Role {
    fn value_variants<'a>() -> &'a [Self] {
        &[Role::Owner, Role::Admin, Role::Member]
    }
    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()))
    }
}

pub async fn tenant(config: &Config, cmd: TenantCommand) -> anyhow::Result<()> {
    match cmd {
        TenantCommand::Create { slug, name } => {
            let store = open_store(config, true).await?;
            let t = svc::create_tenant(store.as_ref(), &slug, name.as_deref()).await?;
            println!("{}\t{}\t{}", t.id, t.slug, t.name);
        }
    }
    Ok(())
}

fn read_password_line() -> anyhow::Result<SecretString> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let trimmed = line.trim_end_matches(['\n', '\r']).to_string();
    line.clear();
    if trimmed.is_empty() {
        anyhow::bail!("no password on standard input");
    }
    Ok(SecretString::from(trimmed))
}

pub async fn user(config: &Config, cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Create {
            tenant,
            email,
            role,
            password_stdin,
        } => {
            let password = if password_stdin {
                Some(read_password_line()?)
            } else {
                None
            };
            let store = open_store(config, true).await?;
            let w =
                svc::add_member(store.as_ref(), &tenant, &email, role, password.as_ref()).await?;
            let membership = match w.membership {
                MembershipOutcome::Added => format!("added to '{tenant}' as {role}"),
                MembershipOutcome::RoleChanged => format!("role in '{tenant}' changed to {role}"),
                MembershipOutcome::Unchanged => format!("already {role} in '{tenant}'"),
            };
            let user = if w.user_created {
                "created"
            } else {
                "existing"
            };
            println!("{}\t{}", w.user.id, w.user.email);
            eprintln!("{user} user {}: {membership}", w.user.email);
            if w.user_created && !w.password_set {
                eprintln!(
                    "note: no password set; this user can use API tokens but cannot sign in (use --password-stdin)"
                );
            }
            if !w.user_created && w.password_set {
                eprintln!("password changed; the user's sessions have ended");
            } else if w.membership == MembershipOutcome::RoleChanged {
                eprintln!("the user's sessions in '{tenant}' have ended");
            }
        }
        UserCommand::Remove { tenant, email } => {
            let store = open_store(config, true).await?;
            svc::remove_member(store.as_ref(), &tenant, &email).await?;
            eprintln!("removed {email} from '{tenant}'; their sessions there have ended");
        }
    }
    Ok(())
}

pub async fn token(config: &Config, cmd: TokenCommand) -> anyhow::Result<()> {
    let store = open_store(config, true).await?;
    match cmd {
        TokenCommand::Create {
            tenant,
            email,
            name,
            scopes,
        } => {
            let t = svc::create_token(store.as_ref(), &tenant, &email, name.as_deref(), &scopes)
                .await?;
            println!("{}", t.value.expose_secret());
            eprintln!("token {} created; it is shown only once", t.id);
        }
        TokenCommand::List { tenant } => {
            for t in svc::list_tokens(store.as_ref(), &tenant).await? {
                let state = match t.revoked_at {
                    Some(at) => format!("revoked {}", time::format(&at)),
                    None => "active".to_string(),
                };
                let scopes = if t.scopes.is_empty() {
                    "-".to_string()
                } else {
                    t.scopes.join(",")
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.name,
                    t.user_email,
                    scopes,
                    time::format(&t.created_at),
                    state
                );
            }
        }
        TokenCommand::Revoke { id } => {
            svc::revoke_token(store.as_ref(), &id).await?;
            println!("revoked {id}");
        }
    }
    Ok(())
}
