package dev.quark.benchmarks.durabletasks;

import dev.quark.durabletasks.Orchestration;
import dev.quark.durabletasks.OrchestrationContext;
import dev.quark.durabletasks.TaskName;

/**
 * {@value #ACTIVITIES} activities one after the other, each given the previous one's result.
 */
@TaskName("bench-sequence")
final class SequenceOrchestration implements Orchestration<Integer, Integer> {

    static final int ACTIVITIES = 5;

    @Override
    public Integer run(OrchestrationContext ctx, Integer input) {
        int value = input;
        for (int i = 0; i < ACTIVITIES; i++) {
            value = ctx.callActivity(NoOpActivity.class, value).await();
        }
        return value;
    }
}
