package dev.quark.jobs;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class JobWorkflowTests {

    record Work(String step) {
    }

    @Test
    void aWorkflowKeepsItsStepsInDeclarationOrderWithTheirDependenciesAndPolicies() {
        JobWorkflow workflow = JobWorkflow.builder("order-42")
            .step("reserve", "reserve-stock", new Work("reserve"))
            .step("charge", "charge-card", new Work("charge")).after("reserve").onFailure(FailurePolicy.SKIP_DEPENDENTS)
            .step("release", "release-stock", new Work("release")).afterFailureOf("charge")
            .step("audit", "audit", new Work("audit")).afterCompletionOf("charge", "release")
            .build();
        assertThat(workflow.name()).isEqualTo("order-42");
        assertThat(workflow.steps()).extracting(WorkflowStep::name)
            .containsExactly("reserve", "charge", "release", "audit");
        assertThat(workflow.steps().get(0).dependencies()).isEmpty();
        assertThat(workflow.steps().get(0).failurePolicy()).isEqualTo(FailurePolicy.FAIL_DEPENDENTS);
        assertThat(workflow.steps().get(1).dependencies())
            .containsExactly(new StepDependency("reserve", StepCondition.ON_SUCCESS));
        assertThat(workflow.steps().get(1).failurePolicy()).isEqualTo(FailurePolicy.SKIP_DEPENDENTS);
        assertThat(workflow.steps().get(2).dependencies())
            .containsExactly(new StepDependency("charge", StepCondition.ON_FAILURE));
        assertThat(workflow.steps().get(3).dependencies()).containsExactly(
                new StepDependency("charge", StepCondition.ON_COMPLETION),
                new StepDependency("release", StepCondition.ON_COMPLETION));
        assertThat(workflow.steps().get(1).type()).isEqualTo("charge-card");
        assertThat(workflow.steps().get(1).payload()).isEqualTo(new Work("charge"));
    }

    @Test
    void aStepMayDependOnAStepDeclaredAfterIt() {
        JobWorkflow workflow = JobWorkflow.builder("late")
            .step("b", "t", new Work("b")).after("a")
            .step("a", "t", new Work("a"))
            .build();
        assertThat(workflow.steps()).extracting(WorkflowStep::name).containsExactly("b", "a");
    }

    @Test
    void aWorkflowWithoutStepsIsRejected() {
        assertThatExceptionOfType(InvalidWorkflowException.class)
            .isThrownBy(() -> JobWorkflow.builder("nothing").build())
            .withMessage("Workflow 'nothing' has no steps: add one with step(name, type, payload)");
    }

    @Test
    void twoStepsOfOneNameAreRejectedNamingIt() {
        assertThatExceptionOfType(InvalidWorkflowException.class)
            .isThrownBy(() -> JobWorkflow.builder("dup")
                .step("charge", "t", new Work("a"))
                .step("charge", "t", new Work("b"))
                .build())
            .withMessage("Workflow 'dup' has two steps named 'charge'");
    }

    @Test
    void aDependencyOnAnUnknownStepIsRejectedNamingBothSteps() {
        assertThatExceptionOfType(InvalidWorkflowException.class)
            .isThrownBy(() -> JobWorkflow.builder("typo")
                .step("charge", "t", new Work("a"))
                .step("email", "t", new Work("b")).after("chrage")
                .build())
            .withMessage("Step 'email' of workflow 'typo' depends on 'chrage', which is not a step of it; its steps are "
                    + "[charge, email]");
    }

    @Test
    void aStepThatDependsOnItselfIsACycle() {
        assertThatExceptionOfType(InvalidWorkflowException.class)
            .isThrownBy(() -> JobWorkflow.builder("self").step("loop", "t", new Work("a")).after("loop").build())
            .withMessageStartingWith("Workflow 'self' has a cycle: 'loop' -> 'loop'");
    }

    @Test
    void aCycleIsRejectedNamingItsPathInRunOrder() {
        assertThatExceptionOfType(InvalidWorkflowException.class)
            .isThrownBy(() -> JobWorkflow.builder("ring")
                .step("start", "t", new Work("s"))
                .step("a", "t", new Work("a")).after("start", "c")
                .step("b", "t", new Work("b")).after("a")
                .step("c", "t", new Work("c")).afterFailureOf("b")
                .step("end", "t", new Work("e")).after("c")
                .build())
            .withMessage("Workflow 'ring' has a cycle: 'a' -> 'b' -> 'c' -> 'a' (each step runs after the one before it); "
                    + "a workflow's steps must form a graph without cycles");
    }

    @Test
    void aChainOfTenThousandStepsDeclaredLastFirstIsCheckedAndACycleClosingItIsFound() {
        assertThat(chain("chain").step("s0", "t", new Work("s0")).build().steps()).hasSize(10_000);
        JobWorkflow.StepBuilder closed = chain("ring").step("s0", "t", new Work("s0")).after("s9999");
        assertThatExceptionOfType(InvalidWorkflowException.class).isThrownBy(closed::build)
            .withMessageStartingWith("Workflow 'ring' has a cycle: 's9999' -> 's0' -> 's1' -> ")
            .withMessageContaining("'s9998' -> 's9999' (each step");
    }

    /** Steps s9999 to s1, each after the one before it, declared last first: checking them goes 10,000 deep. */
    private static JobWorkflow.StepBuilder chain(String name) {
        JobWorkflow.StepBuilder chain = JobWorkflow.builder(name).step("s9999", "t", new Work("s9999")).after("s9998");
        for (int n = 9_998; n > 0; n--) {
            chain = chain.step("s" + n, "t", new Work("s" + n)).after("s" + (n - 1));
        }
        return chain;
    }

    @Test
    void aDependencyDeclaredTwiceIsRejectedNamingIt() {
        assertThatExceptionOfType(InvalidWorkflowException.class)
            .isThrownBy(() -> JobWorkflow.builder("twice")
                .step("a", "t", new Work("a"))
                .step("b", "t", new Work("b")).after("a").afterFailureOf("a")
                .build())
            .withMessage("Step 'b' of workflow 'twice' depends on ['a'] more than once");
    }

    @Test
    void namesAndTypesThatAreNotAllowedAreRejectedNamingThem() {
        assertThatExceptionOfType(InvalidWorkflowException.class).isThrownBy(() -> JobWorkflow.builder("has space"))
            .withMessageStartingWith("'has space' is not allowed as a workflow name");
        assertThatExceptionOfType(InvalidWorkflowException.class)
            .isThrownBy(() -> JobWorkflow.builder("ok").step("", "t", new Work("a")).build())
            .withMessageStartingWith("'' is not allowed as a step name");
        assertThatExceptionOfType(InvalidWorkflowException.class)
            .isThrownBy(() -> JobWorkflow.builder("ok").step("x".repeat(101), "t", new Work("a")).build())
            .withMessageContaining("at most 100 characters");
        assertThatExceptionOfType(InvalidWorkflowException.class)
            .isThrownBy(() -> JobWorkflow.builder("ok").step("a", "bad type!", new Work("a")).build())
            .withMessageStartingWith("Step 'a' of workflow 'ok': ")
            .withMessageContaining("bad type!");
    }

    @Test
    void stepConditionsSayWhichOutcomesLetADependentRun() {
        assertThat(List.of(StepStatus.values()).stream().filter(StepCondition.ON_SUCCESS::isMetBy))
            .containsExactly(StepStatus.SUCCEEDED);
        assertThat(List.of(StepStatus.values()).stream().filter(StepCondition.ON_FAILURE::isMetBy))
            .containsExactly(StepStatus.FAILED);
        assertThat(List.of(StepStatus.values()).stream().filter(StepCondition.ON_COMPLETION::isMetBy))
            .containsExactly(StepStatus.SUCCEEDED, StepStatus.FAILED, StepStatus.SKIPPED);
    }
}
