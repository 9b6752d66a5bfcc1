package dev.quark.autoconfigure.jobs;

import java.util.List;

import dev.quark.jobs.JobContext;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.Recurring;
import org.junit.jupiter.api.Test;

import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.aot.test.generate.TestGenerationContext;
import org.springframework.beans.factory.aot.BeanFactoryInitializationAotContribution;
import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.beans.factory.support.RootBeanDefinition;

import static org.assertj.core.api.Assertions.assertThat;

class JobHandlerRuntimeHintsTests {

    @Test
    void thePayloadTypesOfHandlerBeansAreBoundForJson() {
        DefaultListableBeanFactory beanFactory = new DefaultListableBeanFactory();
        beanFactory.registerBeanDefinition("invoices", new RootBeanDefinition(InvoiceHandler.class));
        beanFactory.registerBeanDefinition("batches", new RootBeanDefinition(BatchHandler.class));
        beanFactory.registerBeanDefinition("lambda", new RootBeanDefinition(JobHandler.class,
                () -> JobHandler.of("lambda", String.class, (payload, context) -> {
                })));
        BeanFactoryInitializationAotContribution contribution = new JobHandlerRuntimeHintsAotProcessor()
            .processAheadOfTime(beanFactory);
        assertThat(contribution).isNotNull();
        TestGenerationContext generation = new TestGenerationContext();
        contribution.applyTo(generation, null);
        RuntimeHints hints = generation.getRuntimeHints();
        assertThat(RuntimeHintsPredicates.reflection().onType(Invoice.class)).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(Invoice.class, "orderId")).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(Line.class)).accepts(hints);
    }

    @Test
    void theClassesOfRecurringHandlerBeansAreRegisteredForTheirAnnotations() {
        DefaultListableBeanFactory beanFactory = new DefaultListableBeanFactory();
        beanFactory.registerBeanDefinition("nightly", new RootBeanDefinition(NightlyHandler.class));
        BeanFactoryInitializationAotContribution contribution = new JobHandlerRuntimeHintsAotProcessor()
            .processAheadOfTime(beanFactory);
        assertThat(contribution).isNotNull();
        TestGenerationContext generation = new TestGenerationContext();
        contribution.applyTo(generation, null);
        RuntimeHints hints = generation.getRuntimeHints();
        assertThat(RuntimeHintsPredicates.reflection().onType(NightlyHandler.class)).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(Recurring.class)).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(InvoiceHandler.class)).rejects(hints);
    }

    @Test
    void withoutHandlersThereIsNothingToContribute() {
        assertThat(new JobHandlerRuntimeHintsAotProcessor().processAheadOfTime(new DefaultListableBeanFactory())).isNull();
    }

    record Invoice(String orderId, long cents) {
    }

    record Line(String sku) {
    }

    static class InvoiceHandler implements JobHandler<Invoice> {

        @Override
        public void handle(Invoice payload, JobContext context) {
        }
    }

    @Recurring(id = "nightly", cron = "@daily")
    static class NightlyHandler implements JobHandler<Invoice> {

        @Override
        public void handle(Invoice payload, JobContext context) {
        }
    }

    static class BatchHandler implements JobHandler<List<Line>> {

        @Override
        public void handle(List<Line> payload, JobContext context) {
        }
    }
}
