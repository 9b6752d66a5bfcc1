package dev.quark.benchmarks.quark;

import java.util.concurrent.TimeUnit;

import dev.quark.autoconfigure.tracing.QuarkTracingAutoConfiguration;
import dev.quark.runtime.ActorRuntime;
import dev.quark.runtime.CallContextPropagator;
import dev.quark.runtime.filter.IncomingCallFilter;
import dev.quark.runtime.filter.OutgoingCallFilter;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.otel.bridge.OtelCurrentTraceContext;
import io.micrometer.tracing.otel.bridge.OtelPropagator;
import io.micrometer.tracing.otel.bridge.OtelTracer;
import io.micrometer.tracing.propagation.Propagator;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import org.springframework.context.annotation.AnnotationConfigApplicationContext;

/**
 * Quark only: what call filters cost an uncontended call from a virtual thread, next to the same call through no
 * filter. A pass-through outgoing and incoming filter measure the filter chains themselves; Quark's tracing filters
 * (the beans {@link QuarkTracingAutoConfiguration} registers: a context propagator, the {@code CLIENT} span filter
 * and the {@code SERVER} span filter) over Micrometer's OpenTelemetry bridge, every trace sampled, measure a call
 * made with no span current (no span is started) and one made inside a span (a {@code CLIENT} and a
 * {@code SERVER} span per call). The SDK's tracer provider has no span processor: spans are made, sampled and
 * ended, and exported nowhere, so the figure is Quark's and the tracer's work, not an exporter's.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FilteredCallBenchmark {

    private ActorRuntime plain;

    private ActorRuntime passThrough;

    private ActorRuntime traced;

    private SdkTracerProvider tracerProvider;

    private AnnotationConfigApplicationContext tracing;

    private Tracer tracer;

    private Counter plainCounter;

    private Counter passThroughCounter;

    private Counter tracedCounter;

    @Setup(Level.Trial)
    public void start() {
        this.plain = ActorRuntime.builder().actor(CounterActor.class).build();
        this.passThrough = ActorRuntime.builder()
            .actor(CounterActor.class)
            .outgoingFilter((call) -> call.proceed())
            .incomingFilter((call) -> call.proceed())
            .build();
        this.tracerProvider = SdkTracerProvider.builder().setSampler(Sampler.alwaysOn()).build();
        this.tracer = new OtelTracer(this.tracerProvider.get("benchmark"), new OtelCurrentTraceContext(),
                (event) -> {
                });
        Propagator propagator = new OtelPropagator(
                ContextPropagators.create(W3CTraceContextPropagator.getInstance()),
                this.tracerProvider.get("benchmark"));
        this.tracing = new AnnotationConfigApplicationContext();
        this.tracing.registerBean(Tracer.class, () -> this.tracer);
        this.tracing.registerBean(Propagator.class, () -> propagator);
        this.tracing.register(QuarkTracingAutoConfiguration.class);
        this.tracing.refresh();
        this.traced = ActorRuntime.builder()
            .actor(CounterActor.class)
            .contextPropagator(this.tracing.getBean(CallContextPropagator.class))
            .outgoingFilter(this.tracing.getBean(OutgoingCallFilter.class))
            .incomingFilter(this.tracing.getBean(IncomingCallFilter.class))
            .build();
        this.plainCounter = started(this.plain);
        this.passThroughCounter = started(this.passThrough);
        this.tracedCounter = started(this.traced);
    }

    private static Counter started(ActorRuntime runtime) {
        Counter counter = runtime.get(Counter.class, "filtered");
        counter.incrementAndGet();
        return counter;
    }

    @TearDown(Level.Trial)
    public void stop() {
        this.plain.close();
        this.passThrough.close();
        this.traced.close();
        this.tracing.close();
        this.tracerProvider.close();
    }

    @Benchmark
    @OperationsPerInvocation(ProxyCallBenchmark.CALLS_PER_CALLER)
    public int noFilter() throws InterruptedException {
        return callFromVirtualThread(this.plainCounter, null);
    }

    @Benchmark
    @OperationsPerInvocation(ProxyCallBenchmark.CALLS_PER_CALLER)
    public int passThroughFilters() throws InterruptedException {
        return callFromVirtualThread(this.passThroughCounter, null);
    }

    @Benchmark
    @OperationsPerInvocation(ProxyCallBenchmark.CALLS_PER_CALLER)
    public int tracingWithoutSpan() throws InterruptedException {
        return callFromVirtualThread(this.tracedCounter, null);
    }

    @Benchmark
    @OperationsPerInvocation(ProxyCallBenchmark.CALLS_PER_CALLER)
    public int tracingInSpan() throws InterruptedException {
        return callFromVirtualThread(this.tracedCounter, this.tracer);
    }

    /** One virtual caller's calls, inside a span of the tracer when one is given, as {@code proxy.virtual} makes. */
    private static int callFromVirtualThread(Counter counter, @Nullable Tracer inSpanOf) throws InterruptedException {
        int[] last = new int[1];
        Thread.ofVirtual().start(() -> {
            if (inSpanOf == null) {
                last[0] = calls(counter);
                return;
            }
            Span parent = inSpanOf.nextSpan().name("caller").start();
            try (Tracer.SpanInScope inScope = inSpanOf.withSpan(parent)) {
                last[0] = calls(counter);
            }
            finally {
                parent.end();
            }
        }).join();
        return last[0];
    }

    private static int calls(Counter counter) {
        int last = 0;
        for (int i = 0; i < ProxyCallBenchmark.CALLS_PER_CALLER; i++) {
            last = counter.incrementAndGet();
        }
        return last;
    }
}
