package dev.quark.benchmarks.durabletasks;

import java.util.ArrayList;
import java.util.List;

import dev.quark.durabletasks.DurableTask;
import dev.quark.durabletasks.Orchestration;
import dev.quark.durabletasks.OrchestrationContext;
import dev.quark.durabletasks.TaskName;

/**
 * {@value #ACTIVITIES} activities started at once, then awaited all together (fan-out, fan-in); returns their sum.
 */
@TaskName("bench-fan-out")
final class FanOutOrchestration implements Orchestration<Integer, Integer> {

    static final int ACTIVITIES = 100;

    @Override
    public Integer run(OrchestrationContext ctx, Integer input) {
        List<DurableTask<Integer>> calls = new ArrayList<>(ACTIVITIES);
        for (int i = 0; i < ACTIVITIES; i++) {
            calls.add(ctx.callActivity(NoOpActivity.class, input + i));
        }
        int sum = 0;
        for (int result : ctx.<Integer>allOf(calls).await()) {
            sum += result;
        }
        return sum;
    }
}
