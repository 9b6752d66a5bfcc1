package dev.quark.autoconfigure.durabletasks;

import java.util.List;

import dev.quark.durabletasks.Activity;
import dev.quark.durabletasks.ActivityContext;
import dev.quark.durabletasks.Orchestration;
import dev.quark.durabletasks.OrchestrationContext;
import org.junit.jupiter.api.Test;

import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.aot.test.generate.TestGenerationContext;
import org.springframework.beans.factory.aot.BeanFactoryInitializationAotContribution;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.beans.factory.support.RootBeanDefinition;

import static org.assertj.core.api.Assertions.assertThat;

class DurableTaskRuntimeHintsTests {

    @Test
    void theClassesAndPayloadTypesOfOrchestrationAndActivityBeansAreRegistered() {
        DefaultListableBeanFactory beanFactory = new DefaultListableBeanFactory();
        RootBeanDefinition orchestration = new RootBeanDefinition(Shipping.class);
        orchestration.setScope(BeanDefinition.SCOPE_PROTOTYPE);
        beanFactory.registerBeanDefinition("shipping", orchestration);
        beanFactory.registerBeanDefinition("label", new RootBeanDefinition(PrintLabel.class));
        BeanFactoryInitializationAotContribution contribution = new DurableTaskRuntimeHintsAotProcessor()
            .processAheadOfTime(beanFactory);
        assertThat(contribution).isNotNull();
        TestGenerationContext generation = new TestGenerationContext();
        contribution.applyTo(generation, null);
        RuntimeHints hints = generation.getRuntimeHints();
        assertThat(RuntimeHintsPredicates.reflection().onType(Shipping.class)).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(PrintLabel.class)).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(Parcel.class)).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(Parcel.class, "weight")).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(Label.class)).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(Tracking.class)).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(Unrelated.class)).rejects(hints);
    }

    @Test
    void withoutOrchestrationsOrActivitiesThereIsNothingToContribute() {
        assertThat(new DurableTaskRuntimeHintsAotProcessor().processAheadOfTime(new DefaultListableBeanFactory()))
            .isNull();
    }

    record Parcel(String id, int weight) {
    }

    record Label(String text) {
    }

    record Tracking(String number) {
    }

    record Unrelated(String value) {
    }

    static class Shipping implements Orchestration<Parcel, List<Tracking>> {

        @Override
        public List<Tracking> run(OrchestrationContext context, Parcel input) {
            return List.of();
        }
    }

    static class PrintLabel implements Activity<Parcel, Label> {

        @Override
        public Label execute(ActivityContext context, Parcel input) {
            return new Label(input.id());
        }
    }
}
