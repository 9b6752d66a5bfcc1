package dev.quark.durabletasks;

import java.util.List;

import dev.quark.durabletasks.payload.JacksonPayloadConverter;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class DurableTaskRegistryTests {

    private final JacksonPayloadConverter converter = new JacksonPayloadConverter();

    @Test
    void namesComeFromTaskNameElseTheSimpleClassName() {
        assertThat(DurableTaskRegistry.nameOf(Named.class)).isEqualTo("named-order");
        assertThat(DurableTaskRegistry.nameOf(Unnamed.class)).isEqualTo("Unnamed");
    }

    @Test
    void typesComeFromTheTypeArgumentsOfTheClasses() {
        DurableTaskRegistry registry = DurableTaskRegistry.builder(this.converter)
            .orchestration(Named.class, Named::new)
            .activity(new Lines())
            .build();
        OrchestrationDefinition orchestration = registry.orchestration("named-order").orElseThrow();
        assertThat(orchestration.inputType().getTypeName()).isEqualTo(Integer.class.getName());
        assertThat(orchestration.outputType().getTypeName()).isEqualTo(String.class.getName());
        ActivityDefinition activity = registry.activity("Lines").orElseThrow();
        assertThat(activity.outputType().getTypeName()).isEqualTo("java.util.List<java.lang.String>");
        assertThat(this.converter.read("[\"a\"]", activity.outputType())).isEqualTo(List.of("a"));
    }

    @Test
    void twoTasksOfOneKindCannotShareAName() {
        DurableTaskRegistry.Builder builder = DurableTaskRegistry.builder(this.converter).activity(new Lines());
        assertThatIllegalArgumentException().isThrownBy(() -> builder.activity(new Lines()))
            .withMessage("Two activities are named 'Lines': give one a different @TaskName");
    }

    @Test
    void aBlankNameIsRefused() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> DurableTaskRegistry.builder(this.converter).activity(" ", String.class, (ctx, in) -> in))
            .withMessageContaining("must not be blank");
    }

    @Test
    void theConverterWritesAndReadsJsonWithTheMapperItIsGiven() {
        JacksonPayloadConverter custom = new JacksonPayloadConverter(JsonMapper.builder().build());
        assertThat(custom.write(new Point(1, 2))).isEqualTo("{\"x\":1,\"y\":2}");
        assertThat(custom.read("{\"x\":3,\"y\":4}", Point.class)).isEqualTo(new Point(3, 4));
        assertThat(custom.write(null)).isNull();
        assertThat(custom.read(null, Point.class)).isNull();
    }

    record Point(int x, int y) {
    }

    @TaskName("named-order")
    static final class Named implements Orchestration<Integer, String> {

        @Override
        public String run(OrchestrationContext context, Integer input) {
            return "x";
        }
    }

    static final class Unnamed {
    }

    static final class Lines implements Activity<String, List<String>> {

        @Override
        public List<String> execute(ActivityContext context, String input) {
            return List.of(input);
        }
    }
}
