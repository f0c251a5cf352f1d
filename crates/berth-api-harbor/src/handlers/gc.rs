//! `/system/gc`: garbage collection runs and schedule (system administrators only). One GC
//! runs at a time: a manual run while another is pending or running is a 409.

super::execution_api::execution_api! {
    job: berth_types::jobs::JobType::GarbageCollection, tag: "gc", base: "/system/gc",
    root: "/api/v2.0/system/gc", one: "/api/v2.0/system/gc/{gc_id}",
    one_log: "/api/v2.0/system/gc/{gc_id}/log", schedule: "/api/v2.0/system/gc/schedule",
    id: "gc_id",
    ops: ["getGCHistory", "getGC", "stopGC", "getGCLog", "getGCSchedule", "createGCSchedule",
          "updateGCSchedule"],
    create_responses: ((status = 201), (status = 400, body = Errors), (status = 401, body = Errors),
        (status = 403, body = Errors), (status = 409, body = Errors))
}
