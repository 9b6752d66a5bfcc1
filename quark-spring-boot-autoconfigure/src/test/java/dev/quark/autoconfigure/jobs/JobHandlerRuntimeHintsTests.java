package dev.quark.autoconfigure.jobs;

import java.lang.reflect.Method;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import dev.quark.jobs.JobContext;
import dev.quark.jobs.JobHandler;
import dev.quark.jobs.Recurring;
import dev.quark.jobs.runtime.RecurringMethodHandler;
import org.junit.jupiter.api.Test;

import org.springframework.aop.scope.ScopedProxyUtils;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.aot.test.generate.TestGenerationContext;
import org.springframework.beans.factory.aot.BeanFactoryInitializationAotContribution;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.beans.factory.config.BeanDefinitionHolder;
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
    void theHintsCoverExactlyTheRecurringMethodsThatRunAsJobs() {
        DefaultListableBeanFactory beanFactory = new DefaultListableBeanFactory();
        beanFactory.registerBeanDefinition("reports", new RootBeanDefinition(Reports.class));
        RootBeanDefinition infrastructure = new RootBeanDefinition(InfrastructureSweeper.class);
        infrastructure.setRole(BeanDefinition.ROLE_INFRASTRUCTURE);
        beanFactory.registerBeanDefinition("sweeper", infrastructure);
        BeanDefinitionHolder scoped = ScopedProxyUtils.createScopedProxy(
                new BeanDefinitionHolder(new RootBeanDefinition(ScopedReports.class), "scopedReports"), beanFactory, true);
        beanFactory.registerBeanDefinition(scoped.getBeanName(), scoped.getBeanDefinition());
        Set<Method> running = RecurringMethods.find(beanFactory)
            .stream()
            .map(RecurringMethodHandler::method)
            .collect(Collectors.toSet());
        assertThat(running).extracting(Method::getName).contains("render").doesNotContain("sweep");
        assertThat(JobHandlerRuntimeHintsAotProcessor.recurringMethods(beanFactory))
            .as("the AOT hints see the methods the runtime runs, no more")
            .containsExactlyInAnyOrderElementsOf(running);
        BeanFactoryInitializationAotContribution contribution = new JobHandlerRuntimeHintsAotProcessor()
            .processAheadOfTime(beanFactory);
        assertThat(contribution).isNotNull();
        TestGenerationContext generation = new TestGenerationContext();
        contribution.applyTo(generation, null);
        RuntimeHints hints = generation.getRuntimeHints();
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(Reports.class, "render")).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(InfrastructureSweeper.class, "sweep"))
            .rejects(hints);
    }

    @Test
    void withoutHandlersThereIsNothingToContribute() {
        assertThat(new JobHandlerRuntimeHintsAotProcessor().processAheadOfTime(new DefaultListableBeanFactory())).isNull();
    }

    static class Reports {

        @Recurring(id = "render", cron = "@daily")
        public void render() {
        }
    }

    static class ScopedReports {

        @Recurring(id = "render-scoped", cron = "@daily")
        public void renderScoped() {
        }
    }

    static class InfrastructureSweeper {

        @Recurring(id = "sweep", cron = "@daily")
        public void sweep() {
        }
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
