package dev.quark.lease;

/**
 * Why a {@link LeaseKeeper} gave up a lease.
 */
public enum LeaseLoss {

    /**
     * The store refused to renew the lease: it had expired on the store, was released behind the keeper's back,
     * or another owner holds the resource now.
     */
    RENEWAL_REFUSED,

    /**
     * The lease reached its {@link Lease#validUntil()} without a successful renewal, for instance because the
     * store could not be reached. The store may still hold it for a moment; the holder must stop relying on it.
     */
    EXPIRED
}
