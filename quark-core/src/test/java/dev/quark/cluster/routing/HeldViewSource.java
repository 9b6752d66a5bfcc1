package dev.quark.cluster.routing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.ClusterViewSource;
import dev.quark.cluster.membership.MembershipProvider;

/** A view source that reads nothing by itself: views come when the test installs them (or a subclass reads them). */
class HeldViewSource implements ClusterViewSource {

    private final List<Consumer<ClusterView>> listeners = new CopyOnWriteArrayList<>();

    final List<Long> refreshesAskedFor = new CopyOnWriteArrayList<>();

    /** The table incarnations reads were asked for with, beside a version. */
    final List<String> incarnationsAskedFor = new CopyOnWriteArrayList<>();

    private volatile ClusterView current = ClusterView.EMPTY;

    /** A source that keeps one view until a test installs another. */
    static HeldViewSource of(ClusterView view) {
        HeldViewSource source = new HeldViewSource();
        source.install(view);
        return source;
    }

    void install(ClusterView view) {
        this.current = view;
        this.listeners.forEach((listener) -> listener.accept(view));
    }

    @Override
    public ClusterView current() {
        return this.current;
    }

    @Override
    public MembershipProvider.Watch subscribe(Consumer<ClusterView> listener) {
        this.listeners.add(listener);
        return () -> this.listeners.remove(listener);
    }

    @Override
    public boolean isServing() {
        return true;
    }

    @Override
    public void refreshIfOlderThan(long seenVersion) {
        this.refreshesAskedFor.add(seenVersion);
    }

    /** Records the incarnation, then asks as the interface's default does, so that subclasses see the read asked. */
    @Override
    public void refreshIfOlderThan(String seenIncarnation, long seenVersion) {
        this.incarnationsAskedFor.add(seenIncarnation);
        refreshIfOlderThan(seenIncarnation.equals(current().incarnation()) ? seenVersion : Long.MAX_VALUE);
    }
}
