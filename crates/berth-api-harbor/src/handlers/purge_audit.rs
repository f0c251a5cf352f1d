//! `/system/purgeaudit`: audit log purge runs and schedule (system administrators only). A
//! manual run while another is going waits behind it (Harbor's API declares no conflict).

super::execution_api::execution_api! {
    job: berth_types::jobs::JobType::PurgeAuditLog, tag: "purge", base: "/system/purgeaudit",
    root: "/api/v2.0/system/purgeaudit", one: "/api/v2.0/system/purgeaudit/{purge_id}",
    one_log: "/api/v2.0/system/purgeaudit/{purge_id}/log",
    schedule: "/api/v2.0/system/purgeaudit/schedule",
    id: "purge_id",
    ops: ["getPurgeHistory", "getPurgeJob", "stopPurge", "getPurgeJobLog", "getPurgeSchedule",
          "createPurgeSchedule", "updatePurgeSchedule"],
    create_responses: ((status = 201), (status = 400, body = Errors), (status = 401, body = Errors),
        (status = 403, body = Errors))
}
