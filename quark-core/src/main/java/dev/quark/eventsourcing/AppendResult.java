package dev.quark.eventsourcing;

/**
 * What an {@link EventStore#append} did.
 *
 * @param version the stream's version after the append: the version of the last appended event, or for a
 * repeated append, the version of the last of the events it repeated
 * @param duplicate whether every event was already in the stream (same ids), so nothing was written
 */
public record AppendResult(long version, boolean duplicate) {
}
