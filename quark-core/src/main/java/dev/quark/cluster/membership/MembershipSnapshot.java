package dev.quark.cluster.membership;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The membership table as one read saw it: its incarnation, its version and every entry. Every conditional
 * write expects the version it read and raises it by one, so two snapshots with one incarnation and one version
 * hold the same entries, apart from their heartbeats, which are not versioned.
 * <p>
 * The incarnation tells one life of the table from the next. The first write to a table that has none (a write
 * or remove expecting version 0) stores a random one, and every later write keeps it. A table that lost its data
 * — Redis restarted without persistence, {@code FLUSHDB}, the rows deleted — starts again at version 0 and gets a
 * new incarnation with its next first write, so that silos which saw a higher version of the lost table do not
 * mistake the new one for an old copy of it.
 *
 * @param incarnation the table's incarnation; {@link #NO_INCARNATION} for a table nobody wrote yet (or last
 * written by a release without incarnations)
 * @param version the table version; 0 for a table nobody wrote yet
 * @param silos the entries by silo id, in silo-id order
 */
public record MembershipSnapshot(String incarnation, long version, Map<String, SiloEntry> silos) {

    /** The incarnation of a table nobody wrote to yet. */
    public static final String NO_INCARNATION = "";

    /** The table before anybody wrote to it. */
    public static final MembershipSnapshot EMPTY = new MembershipSnapshot(NO_INCARNATION, 0, Map.of());

    /**
     * Validates the incarnation and the version and copies the entries in silo-id order.
     */
    public MembershipSnapshot {
        Objects.requireNonNull(incarnation, "incarnation must not be null");
        if (version < 0) {
            throw new IllegalArgumentException("Membership version must not be negative, was " + version);
        }
        silos = Collections.unmodifiableMap(new TreeMap<>(silos));
    }

    /**
     * Creates a snapshot without an incarnation ({@link #NO_INCARNATION}), as of a table written by a release
     * without incarnations. Providers read the incarnation back and use the canonical constructor.
     * @param version the table version
     * @param silos the entries by silo id
     */
    public MembershipSnapshot(long version, Map<String, SiloEntry> silos) {
        this(NO_INCARNATION, version, silos);
    }

    /**
     * Builds a snapshot from entries.
     * @param incarnation the table's incarnation
     * @param version the table version
     * @param entries the entries
     * @return the snapshot
     */
    public static MembershipSnapshot of(String incarnation, long version, Iterable<SiloEntry> entries) {
        Map<String, SiloEntry> bySilo = new TreeMap<>();
        for (SiloEntry entry : entries) {
            bySilo.put(entry.siloId(), entry);
        }
        return new MembershipSnapshot(incarnation, version, bySilo);
    }

    /**
     * Builds a snapshot without an incarnation from entries; see {@link #MembershipSnapshot(long, Map)}.
     * @param version the table version
     * @param entries the entries
     * @return the snapshot
     */
    public static MembershipSnapshot of(long version, Iterable<SiloEntry> entries) {
        return of(NO_INCARNATION, version, entries);
    }

    /**
     * Returns a new random incarnation, for a provider whose table gets its first write.
     * @return a random UUID as a string
     */
    public static String newIncarnation() {
        return UUID.randomUUID().toString();
    }

    /**
     * Returns whether another snapshot was read from the same life of the table.
     * @param other the other snapshot
     * @return {@code true} when both have the same incarnation
     */
    public boolean isSameIncarnation(MembershipSnapshot other) {
        return this.incarnation.equals(other.incarnation);
    }

    /**
     * Returns whether another snapshot shows the same table as this one: the same incarnation and version, and the
     * same silos at the same addresses, epochs and statuses. Heartbeats and suspicions are not compared. Two reads of
     * one incarnation at one version differ only after the table lost its latest writes (a replica that had not
     * received them took over) and was written again up to that version.
     * @param other the other snapshot
     * @return {@code true} when routing by either is the same
     */
    public boolean showsSameTable(MembershipSnapshot other) {
        if (this == other) {
            return true;
        }
        if (this.version != other.version || !isSameIncarnation(other) || this.silos.size() != other.silos.size()) {
            return false;
        }
        for (SiloEntry entry : this.silos.values()) {
            SiloEntry theirs = other.silos.get(entry.siloId());
            if (theirs == null || theirs.epoch() != entry.epoch() || theirs.status() != entry.status()
                    || !theirs.address().equals(entry.address())) {
                return false;
            }
        }
        return true;
    }

    /**
     * Returns one silo's entry.
     * @param siloId the silo
     * @return its entry, empty when the table has none
     */
    public Optional<SiloEntry> silo(String siloId) {
        return Optional.ofNullable(this.silos.get(siloId));
    }

    /**
     * Returns the entries with a status.
     * @param status the status
     * @return the entries by silo id
     */
    public Map<String, SiloEntry> withStatus(SiloStatus status) {
        return this.silos.values()
            .stream()
            .filter((entry) -> entry.status() == status)
            .collect(Collectors.toMap(SiloEntry::siloId, Function.identity(), (a, b) -> a, TreeMap::new));
    }
}
