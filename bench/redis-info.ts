import type { Redis } from 'ioredis';

/** A Redis server's command count, memory and CPU seconds so far (INFO stats, memory, cpu), for the benchmarks. */
export async function redisInfo(redis: Redis): Promise<{ commands: number; memory: number; cpuSeconds: number }> {
  const stats = await redis.info('stats');
  const memory = await redis.info('memory');
  const cpu = await redis.info('cpu');
  const field = (text: string, name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(text)?.[1] ?? Number.NaN);
  return {
    commands: field(stats, 'total_commands_processed'),
    memory: field(memory, 'used_memory'),
    cpuSeconds: field(cpu, 'used_cpu_user') + field(cpu, 'used_cpu_sys'),
  };
}
