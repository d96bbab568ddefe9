//! Accounts, administered by admins (managers may list them, to assign owners).

use actix_web::{HttpResponse, get, patch, post, web};
use uuid::Uuid;

use crate::db;
use crate::domain::users::{self, AccountChanges, NewAccount};
use crate::error::Error;
use crate::http::auth::{Admin, Manager};
use crate::http::dto::users::{CreateUserRequest, UpdateUserRequest, UserResponse};
use crate::http::problem::{Conflicting, Denied, Missing, Rejected};
use crate::http::{AppState, Body, created, parsed};

/// List users.
///
/// Required role: manager.
#[utoipa::path(
    tag = "users",
    security(("bearer" = ["manager"])),
    responses((status = 200, description = "Every user, by email", body = [UserResponse]), Denied)
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    _caller: Manager,
) -> Result<HttpResponse, Error> {
    let users = db::run(&state.pool, users::list).await?;
    Ok(HttpResponse::Ok().json(
        users
            .into_iter()
            .map(UserResponse::from)
            .collect::<Vec<_>>(),
    ))
}

/// One user.
///
/// Required role: manager.
#[utoipa::path(
    tag = "users",
    security(("bearer" = ["manager"])),
    params(("id" = Uuid, Path, description = "User id")),
    responses((status = 200, description = "The user", body = UserResponse), Denied, Missing)
)]
#[get("/users/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    _caller: Manager,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let user = db::run(&state.pool, move |conn| users::get(conn, id)).await?;
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}

/// Create a user.
///
/// Required role: admin.
#[utoipa::path(
    tag = "users",
    security(("bearer" = ["admin"])),
    request_body = CreateUserRequest,
    responses(
        (status = 201, description = "Created", body = UserResponse),
        Denied, Rejected, Conflicting,
    )
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    _caller: Admin,
    body: Body<CreateUserRequest>,
) -> actix_web::Result<HttpResponse> {
    let body = parsed(body)?;
    let account = NewAccount {
        email: crate::domain::users::Email::parse(&body.email)?,
        display_name: body.display_name,
        role: body.role,
        password: body.password,
        is_demo: false,
    };
    let user = db::transaction(&state.pool, move |conn| users::create(conn, &account)).await?;
    Ok(created(format!("/users/{}", user.id)).json(UserResponse::from(user)))
}

/// Change a user's name, role, password or active flag.
///
/// Deactivating a user stops all their tokens at once. Required role: admin.
#[utoipa::path(
    tag = "users",
    security(("bearer" = ["admin"])),
    params(("id" = Uuid, Path, description = "User id")),
    request_body = UpdateUserRequest,
    responses((status = 200, description = "Updated", body = UserResponse), Denied, Rejected, Missing, Conflicting)
)]
#[patch("/users/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    _caller: Admin,
    id: web::Path<Uuid>,
    body: Body<UpdateUserRequest>,
) -> actix_web::Result<HttpResponse> {
    let body = parsed(body)?;
    let changes = AccountChanges {
        display_name: body.display_name,
        role: body.role,
        active: body.active,
        password: body.password,
    };
    let id = id.into_inner();
    let user = db::transaction(&state.pool, move |conn| users::update(conn, id, &changes)).await?;
    state
        .auth
        .callers
        .forget(crate::domain::auth::callers::Change::User(id));
    Ok(HttpResponse::Ok().json(UserResponse::from(user)))
}
