package dev.quark.eventsourcing;

/**
 * A stream was truncated (its first events deleted before a snapshot) and no snapshot covers the deleted events any
 * more: the snapshot was deleted by hand, lost in a Redis failover, or replaced by an older one. The state those events
 * made cannot be rebuilt, so the stream's actor cannot be activated: restore the snapshot (or delete the stream with
 * {@link EventStore#deleteStream} to start it over).
 */
public class TruncatedStreamException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    private final long truncatedVersion;

    private final long snapshotVersion;

    /**
     * Creates the exception.
     * @param stream the stream
     * @param truncatedVersion the version of the last event deleted from the start of the stream
     * @param snapshotVersion the version of the stream's latest snapshot, 0 when it has none
     */
    public TruncatedStreamException(String stream, long truncatedVersion, long snapshotVersion) {
        super(stream, "Event stream '" + stream + "' was truncated through version " + truncatedVersion
                + ", and no snapshot covers the truncated events ("
                + ((snapshotVersion == 0) ? "the stream has no snapshot"
                        : "its latest snapshot is at version " + snapshotVersion)
                + "; deleted or lost?): its state cannot be rebuilt. Restore the snapshot, or delete the stream to "
                + "start it over", null);
        this.truncatedVersion = truncatedVersion;
        this.snapshotVersion = snapshotVersion;
    }

    /**
     * Returns the version of the last event deleted from the start of the stream.
     * @return the truncated-through version
     */
    public long getTruncatedVersion() {
        return this.truncatedVersion;
    }

    /**
     * Returns the version of the stream's latest snapshot.
     * @return the snapshot's version, 0 when the stream has none
     */
    public long getSnapshotVersion() {
        return this.snapshotVersion;
    }
}
