package dev.quark.lease;

import java.util.List;

/**
 * What {@link LeaseStore#renewAll} did with each lease.
 *
 * @param renewed the leases that were renewed, with their new {@link Lease#validUntil()}
 * @param lost the leases, as given, that were lost: they had expired, were released, or another owner holds the
 * resource now
 */
public record LeaseRenewal(List<Lease> renewed, List<Lease> lost) {

    /**
     * Copies the lists.
     */
    public LeaseRenewal {
        renewed = List.copyOf(renewed);
        lost = List.copyOf(lost);
    }
}
