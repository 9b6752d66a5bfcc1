package dev.quark.jobs;

/**
 * What {@link JobQueue#cancel} did.
 */
public enum CancelResult {

    /** The job was waiting and is now {@link JobStatus#CANCELLED}; it will not run. */
    CANCELLED,

    /**
     * The job is running: its handler sees the request through {@link JobContext#isCancellationRequested()} and
     * decides; the job ends {@link JobStatus#CANCELLED} when the handler stops with a
     * {@link JobCancelledException}, and as usual when it completes or fails anyway.
     */
    REQUESTED,

    /** The job had already finished; nothing changed. */
    ALREADY_FINISHED
}
