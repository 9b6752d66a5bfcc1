package dev.quark.cluster.transport.jackson;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import com.example.quarkapp.ApplicationContributors;
import dev.quark.actor.ActorException;
import dev.quark.cluster.transport.PayloadCodec;
import dev.quark.runtime.ActorRuntime;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * The {@link ExceptionTypeContributor} SPI: contributors listed in {@code META-INF/services} add their types, and
 * one that cannot be used fails the codec's construction with a message naming it.
 */
class ExceptionTypeTableTests {

    private static final String SERVICES = "META-INF/services/" + ExceptionTypeContributor.class.getName();

    @AutoClose
    private final ActorRuntime runtime = ActorRuntime.builder().build();

    @TempDir
    Path classPath;

    @Test
    void aListedContributorsTypesCrossWithTheirFields() throws IOException {
        PayloadCodec codec = codecWith(OrdersContributor.class);
        Throwable rebuilt = codec.decodeFailure(codec.encodeFailure(new OrderRejectedException("order-7", "closed")));
        assertThat(rebuilt).isInstanceOfSatisfying(OrderRejectedException.class, (rejected) -> {
            assertThat(rejected).hasMessage("Order order-7 rejected: closed");
            assertThat(rejected.orderId).isEqualTo("order-7");
        });
    }

    @Test
    void withoutTheContributorTheTypeIsNotInTheTable() throws IOException {
        ExceptionTypeTable table = ExceptionTypeTable.load(listing());
        assertThat(table.contains(OrderRejectedException.class.getName())).isFalse();
        assertThat(table.originOf(ActorException.class.getName())).isEqualTo(ExceptionTypeTable.CORE);
    }

    @Test
    void aContributorListedThroughTwoClassLoadersIsAddedOnce() throws IOException {
        ClassLoader listed = listing(OrdersContributor.class);
        ExceptionTypeTable table = ExceptionTypeTable.load(listed, new URLClassLoader(new URL[0], listed));
        assertThat(table.originOf(OrderRejectedException.class.getName()))
            .isEqualTo(OrdersContributor.class.getName());
    }

    @Test
    void aContributorSeenOnlyThroughTheSecondClassLoaderIsFound() throws IOException {
        ClassLoader unlisted = getClass().getClassLoader();
        ExceptionTypeTable table = ExceptionTypeTable.load(unlisted, listing(OrdersContributor.class));
        assertThat(table.contains(OrderRejectedException.class.getName())).isTrue();
    }

    @Test
    void aContributorThatThrowsFailsTheCodecNamingIt() {
        assertThatIllegalStateException().isThrownBy(() -> codecWith(OrdersContributor.class,
                ThrowingContributor.class))
            .withMessage("Exception type contributor " + ThrowingContributor.class.getName()
                    + " failed: java.lang.IllegalArgumentException: no orders configured")
            .withCauseExactlyInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aContributorThatCannotBeInstantiatedFailsNamingIt() {
        assertThatIllegalStateException().isThrownBy(() -> ExceptionTypeTable.load(listing(
                FailingConstructorContributor.class)))
            .withMessageStartingWith("Cannot load an exception type contributor listed in " + SERVICES + ": ")
            .withMessageContaining(FailingConstructorContributor.class.getName());
    }

    @Test
    void aListedClassThatIsNoContributorFailsNamingIt() {
        assertThatIllegalStateException().isThrownBy(() -> ExceptionTypeTable.load(listing(
                OrderRejectedException.class)))
            .withMessageStartingWith("Cannot load an exception type contributor listed in " + SERVICES + ": ")
            .withMessageContaining(OrderRejectedException.class.getName() + " not a subtype");
    }

    @Test
    void twoContributorsAddingTheSameTypeFailNamingBoth() {
        assertThatIllegalStateException().isThrownBy(() -> ExceptionTypeTable.load(listing(OrdersContributor.class,
                OtherOrdersContributor.class)))
            .withMessage("Exception type " + OrderRejectedException.class.getName() + " is added twice, by "
                    + OrdersContributor.class.getName() + " and by " + OtherOrdersContributor.class.getName()
                    + ": a type crosses silos through one entry, remove it from one of them");
    }

    @Test
    void aContributorAddingOneOfCoresTypesFailsNamingQuarkCore() {
        assertThatIllegalStateException().isThrownBy(() -> ExceptionTypeTable.load(listing(CoreTypeContributor.class)))
            .withMessage("Exception type " + ActorException.class.getName() + " is added twice, by quark-core and by "
                    + CoreTypeContributor.class.getName()
                    + ": a type crosses silos through one entry, remove it from one of them");
    }

    @Test
    void anApplicationContributorAddingOneOfCoresTypesIsIgnoredAndCoresEntryKept() throws IOException {
        ExceptionTypeTable table = ExceptionTypeTable.load(listing(ApplicationContributors.CoreType.class));
        assertThat(table.originOf(ActorException.class.getName())).isEqualTo(ExceptionTypeTable.CORE);
        assertThat(table.rebuild(ActorException.class.getName(), "sent", FailureFields.NONE, null))
            .isInstanceOf(ActorException.class)
            .hasMessage("sent");
    }

    @Test
    void aTypeAddedByAQuarkContributorAndAnApplicationsKeepsQuarksEntryWhicheverIsListedFirst() throws IOException {
        for (List<Class<?>> order : List.<List<Class<?>>>of(List.of(ApplicationContributors.SharedType.class, OrdersContributor.class),
                List.of(OrdersContributor.class, ApplicationContributors.SharedType.class))) {
            ExceptionTypeTable table = ExceptionTypeTable.load(listing(order.toArray(Class<?>[]::new)));
            assertThat(table.originOf(OrderRejectedException.class.getName()))
                .isEqualTo(OrdersContributor.class.getName());
            assertThat(table.fieldsOf(new OrderRejectedException("order-8", "closed")))
                .as("Quark's writer").isNotEqualTo(FailureFields.NONE);
        }
    }

    @Test
    void aContributorAddingATypeTwiceFailsNamingIt() {
        assertThatIllegalStateException().isThrownBy(() -> ExceptionTypeTable.load(listing(TwiceContributor.class)))
            .withMessage("Exception type contributor " + TwiceContributor.class.getName() + " adds "
                    + OrderRejectedException.class.getName() + " twice");
    }

    @Test
    void aContributorAddingATypeThatIsNotAnExceptionFailsNamingBoth() {
        assertThatIllegalStateException().isThrownBy(() -> ExceptionTypeTable.load(listing(StringContributor.class)))
            .withMessage("Exception type contributor " + StringContributor.class.getName()
                    + " adds java.lang.String, which is not an exception: only subclasses of java.lang.Exception "
                    + "cross silos as themselves");
        assertThatIllegalStateException().isThrownBy(() -> ExceptionTypeTable.load(listing(ErrorContributor.class)))
            .withMessage("Exception type contributor " + ErrorContributor.class.getName()
                    + " adds java.lang.AssertionError, which is not an exception: only subclasses of "
                    + "java.lang.Exception cross silos as themselves");
    }

    private PayloadCodec codecWith(Class<?>... contributors) throws IOException {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(listing(contributors));
        try {
            return new JacksonPayloadCodec(JsonMapper.builder().build(), this.runtime, List.of());
        }
        finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** A class loader over the test's classes whose services file lists the given classes. */
    private ClassLoader listing(Class<?>... contributors) throws IOException {
        Path services = this.classPath.resolve(SERVICES);
        Files.createDirectories(services.getParent());
        Files.write(services, Arrays.stream(contributors).map(Class::getName).toList());
        return new URLClassLoader(new URL[] { this.classPath.toUri().toURL() }, getClass().getClassLoader());
    }

    /** An application's exception with a field of its own. */
    public static final class OrderRejectedException extends RuntimeException {

        private static final long serialVersionUID = 1L;

        final String orderId;

        OrderRejectedException(String orderId, String reason) {
            this("Order " + orderId + " rejected: " + reason, orderId, true);
        }

        private OrderRejectedException(String message, String orderId, boolean crossedSilos) {
            super(message);
            this.orderId = orderId;
        }
    }

    public static final class OrdersContributor implements ExceptionTypeContributor {

        @Override
        public void contribute(Table table) {
            table.add(OrderRejectedException.class, (failure, fields) -> fields.text("orderId", failure.orderId),
                    (message, fields, cause) -> new OrderRejectedException(message, fields.requiredText("orderId"),
                            true));
        }
    }

    public static final class OtherOrdersContributor implements ExceptionTypeContributor {

        @Override
        public void contribute(Table table) {
            table.addMessageOnly(OrderRejectedException.class,
                    (message, cause) -> new OrderRejectedException(message, "?", true));
        }
    }

    public static final class TwiceContributor implements ExceptionTypeContributor {

        @Override
        public void contribute(Table table) {
            new OrdersContributor().contribute(table);
            new OtherOrdersContributor().contribute(table);
        }
    }

    public static final class CoreTypeContributor implements ExceptionTypeContributor {

        @Override
        public void contribute(Table table) {
            table.addMessageOnly(ActorException.class, ActorException::new);
        }
    }

    public static final class ThrowingContributor implements ExceptionTypeContributor {

        @Override
        public void contribute(Table table) {
            throw new IllegalArgumentException("no orders configured");
        }
    }

    public static final class FailingConstructorContributor implements ExceptionTypeContributor {

        public FailingConstructorContributor() {
            throw new IllegalStateException("not configured");
        }

        @Override
        public void contribute(Table table) {
        }
    }

    public static final class StringContributor implements ExceptionTypeContributor {

        @Override
        @SuppressWarnings({ "unchecked", "rawtypes" })
        public void contribute(Table table) {
            Class type = String.class;
            table.addMessageOnly(type, (message, cause) -> new IllegalStateException(message));
        }
    }

    public static final class ErrorContributor implements ExceptionTypeContributor {

        @Override
        public void contribute(Table table) {
            table.addMessageOnly(AssertionError.class, (message, cause) -> new AssertionError(message));
        }
    }
}
