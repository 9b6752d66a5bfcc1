package dev.quark.autoconfigure.cluster;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import dev.quark.cluster.transport.jackson.ExceptionTypeContributor;
import dev.quark.durabletasks.cluster.DurableTaskExceptionTypes;
import dev.quark.jobs.cluster.JobExceptionTypes;
import dev.quark.messaging.cluster.MessagingExceptionTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.aot.test.generate.TestGenerationContext;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.context.aot.ApplicationContextAotGenerator;
import org.springframework.context.support.GenericApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A native image keeps the {@link ExceptionTypeContributor}s the payload codec loads: their service files and the
 * constructors the service loader calls, registered by the cluster's auto-configuration.
 */
class PayloadCodecRuntimeHintsTests {

    private static final String SERVICES = "META-INF/services/" + ExceptionTypeContributor.class.getName();

    @TempDir
    Path classPath;

    @Test
    void theServiceFilesAndQuarksContributorsConstructorsAreRegistered() throws NoSuchMethodException {
        RuntimeHints hints = new RuntimeHints();
        new PayloadCodecRuntimeHints().registerHints(hints, getClass().getClassLoader());
        assertThat(RuntimeHintsPredicates.resource().forResource(SERVICES)).accepts(hints);
        for (Class<?> contributor : List.of(JobExceptionTypes.class, DurableTaskExceptionTypes.class,
                MessagingExceptionTypes.class)) {
            assertThat(RuntimeHintsPredicates.reflection().onConstructorInvocation(contributor.getConstructor()))
                .accepts(hints);
        }
    }

    @Test
    void anApplicationsContributorIsRegisteredAndCommentsAreNot() throws IOException, NoSuchMethodException {
        Path services = this.classPath.resolve(SERVICES);
        Files.createDirectories(services.getParent());
        Files.writeString(services, "# the application's exceptions\n  " + ApplicationContributor.class.getName()
                + "  # orders\n\n");
        RuntimeHints hints = new RuntimeHints();
        try (URLClassLoader loader = new URLClassLoader(new URL[] { this.classPath.toUri().toURL() },
                getClass().getClassLoader())) {
            new PayloadCodecRuntimeHints().registerHints(hints, loader);
        }
        assertThat(RuntimeHintsPredicates.reflection()
            .onConstructorInvocation(ApplicationContributor.class.getConstructor())).accepts(hints);
        assertThat(hints.reflection().typeHints()).noneMatch((type) -> type.getType().getName().contains("#")
                || type.getType().getName().isBlank());
    }

    @Test
    void theClusterAutoConfigurationImportsTheHintsAheadOfTime() throws NoSuchMethodException {
        GenericApplicationContext context = new GenericApplicationContext();
        context.registerBeanDefinition("quarkCluster", new RootBeanDefinition(QuarkClusterAutoConfiguration.class));
        TestGenerationContext generationContext = new TestGenerationContext();
        new ApplicationContextAotGenerator().processAheadOfTime(context, generationContext);
        RuntimeHints hints = generationContext.getRuntimeHints();
        assertThat(RuntimeHintsPredicates.resource().forResource(SERVICES)).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection()
            .onConstructorInvocation(JobExceptionTypes.class.getConstructor())).accepts(hints);
        // A cluster client hosts no actors, so the actors' AOT processor adds nothing: the codec's own hints do.
        assertThat(RuntimeHintsPredicates.reflection()
            .onConstructorInvocation(IllegalStateException.class.getConstructor(String.class))).accepts(hints);
    }

    /** An application's contributor. */
    public static final class ApplicationContributor implements ExceptionTypeContributor {

        @Override
        public void contribute(Table table) {
        }
    }
}
