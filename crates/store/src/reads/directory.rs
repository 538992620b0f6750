//! Clinics and what they are made of: locations, practitioners, services, schedules.

use crate::error::{StoreError, StoreResult};
use crate::model::{Clinic, DateRange, Location, Practitioner};
use crate::{ClinicContext, Store, calendar, rows};
use nobat_core::{ClinicId, Exception, LocationId, PractitionerId, Service, ServiceId, WeeklyRule};
use std::sync::Arc;

impl Store {
    /// Every clinic with its locations: the public directory.
    pub async fn clinics(&self) -> StoreResult<Vec<(Clinic, Vec<Location>)>> {
        let mut conn = self.reader().await?;
        let sql = format!("SELECT {} FROM clinics ORDER BY name, id", rows::CLINIC_COLS);
        let clinics: Vec<Clinic> =
            crate::db::query(sql).fetch_all(&mut conn).await?.iter().map(rows::clinic).collect::<StoreResult<_>>()?;
        let sql = format!("SELECT {} FROM locations ORDER BY name, id", rows::LOCATION_COLS);
        let locations: Vec<Location> =
            crate::db::query(sql).fetch_all(&mut conn).await?.iter().map(rows::location).collect::<StoreResult<_>>()?;
        Ok(clinics
            .into_iter()
            .map(|c| {
                let mine = locations.iter().filter(|l| l.clinic == c.id).cloned().collect();
                (c, mine)
            })
            .collect())
    }

    /// A clinic by id or by slug.
    pub async fn clinic(&self, key: &str) -> StoreResult<Clinic> {
        let mut conn = self.reader().await?;
        let (col, value) = match key.parse::<ClinicId>() {
            Ok(id) => ("id", id.to_string()),
            Err(_) => ("slug", key.to_lowercase()),
        };
        let sql = format!("SELECT {} FROM clinics WHERE {col} = $1", rows::CLINIC_COLS);
        let row =
            crate::db::query(sql).bind(value).fetch_optional(&mut conn).await?.ok_or(StoreError::NotFound("clinic"))?;
        rows::clinic(&row)
    }

    /// The clinic named by `key` (id or slug) with its locations, cached (see
    /// `directory_cache`): every request needs it, and it almost never changes.
    pub async fn clinic_context(&self, key: &str) -> StoreResult<Arc<ClinicContext>> {
        let cache = &self.inner.directory;
        if let Some(ctx) = cache.get(key) {
            return Ok(ctx);
        }
        let generation = cache.generation();
        let clinic = self.clinic(key).await?;
        let locations = self.locations(clinic.id).await?;
        let ctx = Arc::new(ClinicContext { clinic, locations });
        cache.put(key.to_owned(), generation, ctx.clone());
        Ok(ctx)
    }

    pub async fn locations(&self, clinic: ClinicId) -> StoreResult<Vec<Location>> {
        self.list(rows::LOCATION_COLS, "locations", clinic, rows::location).await
    }

    pub async fn location(&self, clinic: ClinicId, id: LocationId) -> StoreResult<Location> {
        self.one(rows::LOCATION_COLS, "locations", "location", clinic, &id.to_string(), rows::location).await
    }

    pub async fn practitioners(&self, clinic: ClinicId) -> StoreResult<Vec<Practitioner>> {
        self.list(rows::PRACTITIONER_COLS, "practitioners", clinic, rows::practitioner).await
    }

    pub async fn practitioner(&self, clinic: ClinicId, id: PractitionerId) -> StoreResult<Practitioner> {
        self.one(rows::PRACTITIONER_COLS, "practitioners", "practitioner", clinic, &id.to_string(), rows::practitioner)
            .await
    }

    pub async fn services(&self, clinic: ClinicId) -> StoreResult<Vec<Service>> {
        self.list(rows::SERVICE_COLS, "services", clinic, rows::service).await
    }

    pub async fn service(&self, clinic: ClinicId, id: ServiceId) -> StoreResult<Service> {
        self.one(rows::SERVICE_COLS, "services", "service", clinic, &id.to_string(), rows::service).await
    }

    /// Weekly rules of the clinic, or of one practitioner.
    pub async fn rules(&self, clinic: ClinicId, practitioner: Option<PractitionerId>) -> StoreResult<Vec<WeeklyRule>> {
        let mut conn = self.reader().await?;
        calendar::rules(&mut conn, clinic, practitioner).await
    }

    /// Exceptions dated within the range, with their notes.
    pub async fn exceptions(&self, clinic: ClinicId, range: DateRange) -> StoreResult<Vec<(Exception, String)>> {
        let mut conn = self.reader().await?;
        let sql = format!(
            "SELECT {}, note FROM schedule_exceptions WHERE clinic_id = $1 AND date >= $2 AND date <= $3 ORDER BY date, id",
            rows::EXCEPTION_COLS
        );
        let found = crate::db::query(sql)
            .bind(clinic.to_string())
            .bind(range.from.to_string())
            .bind(range.to.to_string())
            .fetch_all(&mut conn)
            .await?;
        found.iter().map(|r| Ok((rows::exception(r)?, rows::text(r, "note")?))).collect()
    }

    async fn list<T>(
        &self,
        cols: &str,
        table: &str,
        clinic: ClinicId,
        read: fn(&crate::db::Row) -> StoreResult<T>,
    ) -> StoreResult<Vec<T>> {
        let mut conn = self.reader().await?;
        let sql = format!("SELECT {cols} FROM {table} WHERE clinic_id = $1 ORDER BY name, id");
        crate::db::query(sql).bind(clinic.to_string()).fetch_all(&mut conn).await?.iter().map(read).collect()
    }

    async fn one<T>(
        &self,
        cols: &str,
        table: &str,
        what: &'static str,
        clinic: ClinicId,
        id: &str,
        read: fn(&crate::db::Row) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut conn = self.reader().await?;
        let sql = format!("SELECT {cols} FROM {table} WHERE clinic_id = $1 AND id = $2");
        let row = crate::db::query(sql)
            .bind(clinic.to_string())
            .bind(id)
            .fetch_optional(&mut conn)
            .await?
            .ok_or(StoreError::NotFound(what))?;
        read(&row)
    }
}
