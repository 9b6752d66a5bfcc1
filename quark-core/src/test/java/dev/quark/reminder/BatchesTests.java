package dev.quark.reminder;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

class BatchesTests {

    private final List<Runnable> tasks = new ArrayList<>();

    private final Executor executor = this.tasks::add;

    private final List<List<Integer>> handled = new CopyOnWriteArrayList<>();

    @Test
    void itemsAddedWhileABatchIsHandledGoInTheNextUpToTheLimit() {
        Batches<Integer> batches = new Batches<>(this.executor, 2, this.handled::add);
        batches.add(1);
        batches.add(2);
        batches.add(3);
        assertThat(this.tasks).as("one handling task while items wait").hasSize(1);
        runTasks();
        assertThat(this.handled).containsExactly(List.of(1, 2), List.of(3));
    }

    @Test
    void aHandlerThatThrowsAnExceptionDoesNotStopTheItemsAfterIt() {
        Batches<Integer> batches = new Batches<>(this.executor, 1, (batch) -> {
            if (batch.contains(1)) {
                throw new IllegalStateException("refused 1");
            }
            this.handled.add(batch);
        });
        batches.add(1);
        batches.add(2);
        assertThatIllegalStateException().isThrownBy(this::runNextTask).withMessage("refused 1");
        runTasks();
        batches.add(3);
        runTasks();
        assertThat(this.handled).containsExactly(List.of(2), List.of(3));
    }

    @Test
    void aHandlerThatThrowsAnErrorDoesNotStopTheItemsAfterIt() {
        Batches<Integer> batches = new Batches<>(this.executor, 1, (batch) -> {
            if (batch.contains(1)) {
                throw new StackOverflowError("deep handler");
            }
            this.handled.add(batch);
        });
        batches.add(1);
        batches.add(2);
        assertThatExceptionOfType(StackOverflowError.class).isThrownBy(this::runNextTask);
        runTasks();
        batches.add(3);
        runTasks();
        assertThat(this.handled).as("the items queued behind it, and those added later").containsExactly(List.of(2),
                List.of(3));
    }

    private void runNextTask() {
        this.tasks.remove(0).run();
    }

    private void runTasks() {
        while (!this.tasks.isEmpty()) {
            runNextTask();
        }
    }
}
