package dev.quark.benchmarks.durabletasks;

import java.util.concurrent.atomic.LongAdder;

import dev.quark.durabletasks.Activity;
import dev.quark.durabletasks.ActivityContext;
import dev.quark.durabletasks.TaskName;

/**
 * The activity of both orchestrations: returns its input plus one, and counts its attempts.
 */
@TaskName("bench-noop")
final class NoOpActivity implements Activity<Integer, Integer> {

    private final LongAdder executed;

    NoOpActivity(LongAdder executed) {
        this.executed = executed;
    }

    @Override
    public Integer execute(ActivityContext context, Integer input) {
        this.executed.increment();
        return input + 1;
    }
}
