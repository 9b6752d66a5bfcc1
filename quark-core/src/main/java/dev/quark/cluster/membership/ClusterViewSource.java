package dev.quark.cluster.membership;

import java.util.function.Consumer;

/**
 * Where routing learns what this silo believes about the cluster: the current {@link ClusterView}, its
 * changes, and whether this silo may serve at all. The silo's membership agent implements it.
 */
public interface ClusterViewSource {

    /**
     * Returns the current view.
     * @return the view; {@link ClusterView#EMPTY} before the silo has read the table
     */
    ClusterView current();

    /**
     * Asks to be told of every new view, in order, on a thread of the source's choosing.
     * @param listener told of each new view; must return quickly
     * @return a handle that stops the notifications
     */
    MembershipProvider.Watch subscribe(Consumer<ClusterView> listener);

    /**
     * Returns whether this silo may serve calls and activate actors now: it is active in the table and has
     * renewed its membership recently enough to know it was not declared dead. A silo that is not serving
     * refuses calls and activations, so that it never keeps activations alive beside their new owners.
     * @return {@code true} while serving
     */
    boolean isServing();

    /**
     * Asks for a fresh read of the table, when a call shows that another silo has a newer view than this
     * one. Returns at once; the new view arrives through {@link #subscribe}. Compares versions only, as if the
     * other silo had read the same incarnation of the table; prefer {@link #refreshIfOlderThan(String, long)}.
     * @param seenVersion the membership version seen elsewhere
     */
    void refreshIfOlderThan(long seenVersion);

    /**
     * Asks for a fresh read of the table when a call shows that another silo has a view this one may not have:
     * a higher version of the same incarnation of the table, or another incarnation (the table lost its data
     * and grew again, so versions of the two cannot be compared). Returns at once; the new view arrives through
     * {@link #subscribe}. The default compares incarnations with {@link #current()} and asks
     * {@link #refreshIfOlderThan(long)} for a read when they differ.
     * @param seenIncarnation the incarnation of the table seen elsewhere ({@link ClusterView#incarnation()})
     * @param seenVersion the membership version seen elsewhere
     */
    default void refreshIfOlderThan(String seenIncarnation, long seenVersion) {
        boolean sameTable = seenIncarnation.equals(current().incarnation());
        refreshIfOlderThan(sameTable ? seenVersion : Long.MAX_VALUE);
    }

    /**
     * Asks for a fresh read of the table when another silo announced a change it wrote itself (a leave), rather
     * than a call showing a newer view. Returns at once; the new view arrives through {@link #subscribe}. The
     * default is {@link #refreshIfOlderThan(long)}; a source that follows the table only when told (a test's
     * silo held on an old view) may ignore it.
     * @param announcedVersion the membership version of the announced change
     */
    default void refreshOnAnnouncement(long announcedVersion) {
        refreshIfOlderThan(announcedVersion);
    }
}
