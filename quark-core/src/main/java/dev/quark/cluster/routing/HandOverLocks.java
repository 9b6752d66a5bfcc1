package dev.quark.cluster.routing;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import dev.quark.runtime.ActorAddress;

import org.jspecify.annotations.Nullable;

/**
 * The locks that make the hand-over of a view (the entries of the ranges this silo lost move from its directory
 * partition to the released ones) one step for what reads or writes an address's entry meanwhile: a write checks
 * that this silo owns the address and writes under the lock, and a previous owner's answer to {@code LOOKUP_HELD}
 * reads the partition and the released entries under it, so that neither falls between the two halves of the
 * hand-over (an entry in neither place would let a second activation register).
 * <p>
 * One lock per stripe of addresses: what touches an address holds its stripe's lock (so the writes of one address
 * stay one after the other, as they check what the partition holds), and the hand-over holds every stripe's, in
 * order. Registrations of unrelated actors do not wait for each other, and {@link ReentrantLock}s park a virtual
 * thread rather than pin it to its carrier as a monitor does on Java 21.
 */
final class HandOverLocks {

    /** How many stripes the addresses are spread over; a power of two. */
    static final int STRIPES = 64;

    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];

    HandOverLocks() {
        for (int i = 0; i < STRIPES; i++) {
            this.stripes[i] = new ReentrantLock();
        }
    }

    /**
     * Runs work that reads or writes one address's entry, under its stripe's lock.
     */
    <T extends @Nullable Object> T forAddress(ActorAddress address, Supplier<T> work) {
        ReentrantLock lock = this.stripes[stripeOf(address)];
        lock.lock();
        try {
            return work.get();
        }
        finally {
            lock.unlock();
        }
    }

    /**
     * Runs the hand-over of a view, under every stripe's lock.
     */
    <T extends @Nullable Object> T forAll(Supplier<T> work) {
        int held = 0;
        try {
            for (ReentrantLock lock : this.stripes) {
                lock.lock();
                held++;
            }
            return work.get();
        }
        finally {
            for (int i = held - 1; i >= 0; i--) {
                this.stripes[i].unlock();
            }
        }
    }

    /**
     * Returns the stripe of an address.
     */
    static int stripeOf(ActorAddress address) {
        int hash = address.hashCode();
        return (hash ^ (hash >>> 16)) & (STRIPES - 1);
    }
}
