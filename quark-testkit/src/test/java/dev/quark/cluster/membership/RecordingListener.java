package dev.quark.cluster.membership;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Records what a test silo's agent tells its lifecycle listeners, with the virtual instant.
 */
final class RecordingListener implements SiloLifecycleListener {

    private final Clock clock;

    private final List<Event> events = new CopyOnWriteArrayList<>();

    RecordingListener(Clock clock) {
        this.clock = clock;
    }

    List<String> names() {
        return this.events.stream().map(Event::name).toList();
    }

    List<Event> events() {
        return List.copyOf(this.events);
    }

    Instant firstAt(String prefix) {
        return this.events.stream()
            .filter((event) -> event.name().startsWith(prefix))
            .map(Event::at)
            .findFirst()
            .orElseThrow(() -> new AssertionError("No event starting with " + prefix + " in " + names()));
    }

    @Override
    public void joined(SiloEntry self) {
        record("joined");
    }

    @Override
    public void fenced(FenceReason reason) {
        record("fenced:" + reason);
    }

    @Override
    public void resumedServing() {
        record("resumedServing");
    }

    @Override
    public void declaredDead(long epoch) {
        record("declaredDead:" + epoch);
    }

    @Override
    public void rejoined(SiloEntry self, long previousEpoch) {
        record("rejoined");
    }

    @Override
    public void left() {
        record("left");
    }

    private void record(String name) {
        this.events.add(new Event(name, this.clock.instant()));
    }

    record Event(String name, Instant at) {
    }
}
