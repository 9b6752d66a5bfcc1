package dev.quark.cluster.routing;

import java.util.Objects;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.transport.Envelope;

/**
 * The membership view another silo had when it sent a message: the incarnation of the table it read, and the
 * version it read there. Versions compare only within one incarnation ({@link ViewTracker#isBehind}).
 *
 * @param incarnation the table's incarnation, {@link Envelope#NO_INCARNATION} when the sender did not say
 * @param version the version
 */
record SeenView(String incarnation, long version) {

    SeenView {
        Objects.requireNonNull(incarnation, "incarnation must not be null");
    }

    /** The view the sender of an envelope had. */
    static SeenView of(Envelope envelope) {
        return new SeenView(envelope.membershipIncarnation(), envelope.membershipVersion());
    }

    /** A view of this silo's. */
    static SeenView of(ClusterView view) {
        return new SeenView(view.incarnation(), view.version());
    }

    /** Whether this view and one of this silo's are of one table, or either does not know its table. */
    boolean comparableWith(ClusterView view) {
        return this.incarnation.isEmpty() || view.incarnation().isEmpty()
                || this.incarnation.equals(view.incarnation());
    }

    /**
     * Names this view's version for a message beside one of this silo's: the version alone when both are of one
     * table, the table's incarnation too when not (after the table lost its data, versions of the two tables say
     * nothing about each other).
     */
    String versionBeside(ClusterView view) {
        return comparableWith(view) ? Long.toString(this.version)
                : this.version + " of table incarnation " + this.incarnation;
    }

    @Override
    public String toString() {
        return "membership version " + this.version
                + (this.incarnation.isEmpty() ? "" : " of table " + this.incarnation);
    }
}
