package dev.quark.cluster.membership;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The membership table as one read saw it: every entry and the table version. Every conditional write
 * expects the version it read and raises it by one, so two snapshots with one version hold the same entries,
 * apart from their heartbeats, which are not versioned.
 *
 * @param version the table version; 0 for a table nobody wrote yet
 * @param silos the entries by silo id, in silo-id order
 */
public record MembershipSnapshot(long version, Map<String, SiloEntry> silos) {

    /** The table before anybody wrote to it. */
    public static final MembershipSnapshot EMPTY = new MembershipSnapshot(0, Map.of());

    /**
     * Validates the version and copies the entries in silo-id order.
     */
    public MembershipSnapshot {
        if (version < 0) {
            throw new IllegalArgumentException("Membership version must not be negative, was " + version);
        }
        silos = java.util.Collections.unmodifiableMap(new TreeMap<>(silos));
    }

    /**
     * Builds a snapshot from entries.
     * @param version the table version
     * @param entries the entries
     * @return the snapshot
     */
    public static MembershipSnapshot of(long version, Iterable<SiloEntry> entries) {
        Map<String, SiloEntry> bySilo = new TreeMap<>();
        for (SiloEntry entry : entries) {
            bySilo.put(entry.siloId(), entry);
        }
        return new MembershipSnapshot(version, bySilo);
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
